package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chatstate/chatstate/internal/testenv"
)

func startHub(t *testing.T, presence bool) string {
	t.Helper()
	h := newHub(16, 64, "key", presence)
	srv := httptest.NewServer(h.routes())
	t.Cleanup(func() {
		srv.Close()
		h.shutdown()
	})
	return srv.URL
}

// A member's send is acked and fanned out to every member, itself too, with
// the room's cursor; the snapshot lists the members.
func TestJoinSendFanOut(t *testing.T) {
	t.Parallel()
	base := startHub(t, true)
	alice, bob := testenv.Dial(t, base, "alice"), testenv.Dial(t, base, "bob")

	alice.Send(map[string]any{"op": "join", "room": "lobby", "ref": "j"})
	alice.Expect("snapshot", testenv.Frame{"ref": "j", "room": "lobby", "cursor": -1, "members": []any{}, "events": []any{}})
	alice.ExpectEvent("lobby", "join", "alice")
	bob.Send(map[string]any{"op": "join", "room": "lobby"})
	bob.Expect("snapshot", testenv.Frame{"cursor": 0, "members": []map[string]any{{"user": "alice", "sessions": 1}}})
	bob.ExpectEvent("lobby", "join", "bob")
	alice.ExpectEvent("lobby", "join", "bob")

	alice.Send(map[string]any{"op": "send", "room": "lobby", "text": "hi", "ref": 7})
	if got := alice.AckAndEvent(7, "message"); got != 2 {
		t.Fatalf("ack at %d, want 2", got)
	}
	cur, ev := bob.ExpectEvent("lobby", "message", "alice")
	if cur != 2 || ev["text"] != "hi" {
		t.Fatalf("bob got %v at %d, want hi at 2", ev, cur)
	}

	bob.Send(map[string]any{"op": "send", "room": "elsewhere", "text": "hi", "ref": 8})
	bob.Expect("error", testenv.Frame{"code": "not_member", "ref": 8})
	bob.Send(map[string]any{"op": "ping", "ref": 9})
	bob.Expect("pong", testenv.Frame{"ref": 9})
	bob.Send(map[string]any{"op": "leave", "room": "lobby", "ref": 10})
	bob.ExpectEvent("lobby", "leave", "bob")
	bob.Expect("ack", testenv.Frame{"ref": 10, "cursor": 3})
	alice.ExpectEvent("lobby", "leave", "bob")
}

// A client that rejoins with after gets exactly the events it missed in
// the snapshot, then the live stream; POST publishes like a send.
func TestResumeAfterCursor(t *testing.T) {
	t.Parallel()
	base := startHub(t, true)
	alice := testenv.Dial(t, base, "alice")
	alice.Send(map[string]any{"op": "join", "room": "r", "history": 0})
	alice.Expect("snapshot", testenv.Frame{"cursor": -1})
	seen, _ := alice.ExpectEvent("r", "join", "alice")

	bob := testenv.Dial(t, base, "bob")
	bob.Send(map[string]any{"op": "join", "room": "r", "history": 0})
	bob.Expect("snapshot", testenv.Frame{"cursor": 0})
	bob.ExpectEvent("r", "join", "bob")
	alice.ExpectEvent("r", "join", "bob")
	_ = alice.WS.Close() // alice goes away at cursor 1
	bob.ExpectEvent("r", "leave", "alice")

	for _, text := range []string{"one", "two"} {
		post(t, base, "r", `{"user":"bob","text":"`+text+`"}`, http.StatusOK)
	}
	alice = testenv.Dial(t, base, "alice")
	alice.Send(map[string]any{"op": "join", "room": "r", "after": seen + 1, "ref": "resume"})
	snap := alice.Expect("snapshot", testenv.Frame{"resumed": true, "truncated": false, "cursor": 4})
	var got []string
	for _, e := range snap["events"].([]any) {
		ev := e.(map[string]any)["event"].(map[string]any)
		got = append(got, fmt.Sprintf("%v:%v:%v", ev["type"], ev["user"], ev["text"]))
	}
	if want := "leave:alice:<nil>,message:bob:one,message:bob:two"; strings.Join(got, ",") != want {
		t.Fatalf("resumed %v, want %s", got, want)
	}
	alice.ExpectEvent("r", "join", "alice")
	post(t, base, "r", `{"user":"bob","text":"three"}`, http.StatusOK)
	if cur, ev := alice.ExpectEvent("r", "message", "bob"); cur != 6 || ev["text"] != "three" {
		t.Fatalf("live %v at %d, want three at 6", ev, cur)
	}
	post(t, base, "r", `{"user":"bob","text":"x"}`, http.StatusUnauthorized, "wrong")
}

func post(t *testing.T, base, room, body string, want int, key ...string) {
	t.Helper()
	k := "key"
	if len(key) > 0 {
		k = key[0]
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/rooms/"+room+"/messages", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+k)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %s, want %d", body, resp.Status, want)
	}
}

// Without presence, joins and leaves write no events: the members list
// alone tells them, and a message is the room's first event.
func TestWithoutPresence(t *testing.T) {
	t.Parallel()
	base := startHub(t, false)
	alice, bob := testenv.Dial(t, base, "alice"), testenv.Dial(t, base, "bob")
	alice.Send(map[string]any{"op": "join", "room": "r"})
	alice.Expect("snapshot", testenv.Frame{"cursor": -1})
	bob.Send(map[string]any{"op": "join", "room": "r"})
	bob.Expect("snapshot", testenv.Frame{"cursor": -1, "members": []map[string]any{{"user": "alice", "sessions": 1}}})
	bob.Send(map[string]any{"op": "send", "room": "r", "text": "hi", "ref": 1})
	if got := bob.AckAndEvent(1, "message"); got != 0 {
		t.Fatalf("ack at %d, want 0", got)
	}
	alice.ExpectEvent("r", "message", "bob")
	bob.Send(map[string]any{"op": "leave", "room": "r", "ref": 2})
	bob.Expect("ack", testenv.Frame{"ref": 2, "cursor": 0})
}

// With a relay, a POST is written to an embedded broker and acknowledged
// with its offset, and the tail's read of it is what fans it out: a member
// gets each message once, in the order posted.
func TestRelayFansOutFromTheLog(t *testing.T) {
	t.Parallel()
	h := newHub(16, 64, "key", true)
	r, err := startRelay(t.TempDir(), h)
	if err != nil {
		t.Fatal(err)
	}
	h.relay = r
	srv := httptest.NewServer(h.routes())
	t.Cleanup(func() {
		srv.Close()
		h.shutdown()
		r.close()
	})
	alice := testenv.Dial(t, srv.URL, "alice")
	alice.Send(map[string]any{"op": "join", "room": "r", "history": 0})
	alice.Expect("snapshot", testenv.Frame{"cursor": -1})
	alice.ExpectEvent("r", "join", "alice")
	for _, text := range []string{"one", "two", "three"} {
		post(t, srv.URL, "r", `{"user":"bob","text":"`+text+`"}`, http.StatusOK)
	}
	for i, want := range []string{"one", "two", "three"} {
		if cur, ev := alice.ExpectEvent("r", "message", "bob"); ev["text"] != want || cur != int64(i+1) {
			t.Fatalf("message %d: %v at %d, want %s at %d", i, ev, cur, want, i+1)
		}
	}
	post(t, srv.URL, "r", `{"user":"bob","text":"x"}`, http.StatusUnauthorized, "wrong")
}
