package server_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// currentMessages returns the messages of a snapshot's or a page's events, as
// JSON keyed by their text or, once deleted, by "deleted".
func currentMessages(t *testing.T, events any) []string {
	t.Helper()
	var out []string
	for _, e := range events.([]any) {
		ev := e.(map[string]any)["event"].(map[string]any)
		if ev["type"] != "message" {
			continue
		}
		delete(ev, "ts")
		delete(ev, "id")
		delete(ev, "session")
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// TestMessageLifecycle edits, deletes and reacts to messages and checks who
// may, what the live stream carries, and that history (from the server's
// copy and from the log), resume and the events API show each message in
// its current state.
func TestMessageLifecycle(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	alice, bob := s.dial("alice"), s.dial("bob")
	for _, c := range []*client{alice, bob} {
		c.Send(frame{"op": "join", "room": "r"})
		c.Expect("snapshot", frame{"room": "r"})
		c.ExpectEvent("r", "join", c.User)
	}
	alice.ExpectEvent("r", "join", "bob")
	alice.Send(frame{"op": "send", "room": "r", "text": "hello", "ref": 1})
	alice.AckAndEcho(1)
	_, m1 := bob.ExpectEvent("r", "message", "alice")
	bob.Send(frame{"op": "send", "room": "r", "text": "bye", "ref": 2})
	bob.AckAndEcho(2)
	_, m2 := alice.ExpectEvent("r", "message", "bob")
	id1, id2 := m1["id"].(string), m2["id"].(string)

	carol := s.dial("carol")
	for _, tc := range []struct {
		c    *client
		f    frame
		code string
	}{
		{bob, frame{"op": "edit", "room": "r", "id": id1, "text": "mine now"}, "forbidden"},
		{bob, frame{"op": "delete", "room": "r", "id": id1}, "forbidden"},
		{alice, frame{"op": "edit", "room": "r", "id": "nosuchid", "text": "x"}, "not_found"},
		{alice, frame{"op": "react", "room": "r", "id": id1, "emoji": "a b", "on": true}, "bad_request"},
		{alice, frame{"op": "react", "room": "r", "id": id1, "emoji": "+1"}, "bad_request"},
		{alice, frame{"op": "edit", "room": "r", "id": id1, "text": "   "}, "bad_request"},
		{alice, frame{"op": "edit", "room": "r", "id": id1}, "bad_request"},
		{alice, frame{"op": "delete", "room": "r"}, "bad_request"},
		{carol, frame{"op": "react", "room": "r", "id": id1, "emoji": "+1", "on": true}, "not_member"},
	} {
		tc.c.Send(tc.f)
		tc.c.Expect("error", frame{"code": tc.code})
	}

	// Each change is acked and streamed to every member as it happens.
	step := func(c *client, f frame, typ string) {
		t.Helper()
		c.Send(f)
		c.AckAndEvent(f["ref"], typ)
		for _, o := range []*client{alice, bob} {
			if o != c {
				_, ev := o.ExpectEvent("r", typ, c.User)
				if ev["id"] != f["id"] {
					t.Fatalf("%s got %v for message %v", o.User, ev, f["id"])
				}
			}
		}
	}
	step(alice, frame{"op": "edit", "room": "r", "id": id1, "text": " hello! ", "ref": 3}, "edit")
	step(bob, frame{"op": "react", "room": "r", "id": id1, "emoji": "\U0001F44D", "on": true, "ref": 4}, "react")
	step(alice, frame{"op": "react", "room": "r", "id": id1, "emoji": "\U0001F44D", "on": true, "ref": 5}, "react")
	step(bob, frame{"op": "react", "room": "r", "id": id1, "emoji": "\U0001F389", "on": true, "ref": 6}, "react")
	step(bob, frame{"op": "react", "room": "r", "id": id1, "emoji": "\U0001F389", "on": false, "ref": 7}, "react")
	step(bob, frame{"op": "react", "room": "r", "id": id2, "emoji": "x", "on": true, "ref": 8}, "react")
	step(bob, frame{"op": "delete", "room": "r", "id": id2, "ref": 9}, "delete")
	bob.Send(frame{"op": "edit", "room": "r", "id": id2, "text": "back"})
	bob.Expect("error", frame{"code": "not_found"})

	want := []string{
		`{"edited":true,"reactions":{"👍":2},"room":"r","text":"hello!","type":"message","user":"alice"}`,
		`{"deleted":true,"room":"r","type":"message","user":"bob"}`,
	}
	check := func(where string, events any) {
		t.Helper()
		if got := currentMessages(t, events); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: messages %s, want %s", where, got, want)
		}
	}
	// History from this server's copy of the room, and from the log on a
	// second server that has none.
	carol.Send(frame{"op": "join", "room": "r"})
	check("history from the copy", carol.Expect("snapshot", frame{"room": "r"})["events"])
	_, hs2, _ := startServer(t, s.kcfg, t.TempDir(), server.Config{ServerID: "s2"})
	dave := testenv.Dial(t, hs2.URL, "dave")
	dave.Send(frame{"op": "join", "room": "r"})
	check("history from the log", dave.Expect("snapshot", frame{"room": "r"})["events"])
	// A resume from before the messages, on both servers.
	for _, base := range []string{s.http.URL, hs2.URL} {
		erin := testenv.Dial(t, base, "erin")
		erin.Send(frame{"op": "join", "room": "r", "after": -1})
		snap := erin.Expect("snapshot", frame{"room": "r", "resumed": true})
		check("resume on "+base, snap["events"])
	}
	var page map[string]any
	if st := getJSON(t, s.http.URL+"/api/rooms/r/events", &page); st != 200 {
		t.Fatalf("events: %d", st)
	}
	check("events API", page["events"])
}
