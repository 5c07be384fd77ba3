package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

func cursors(t *testing.T, snap frame) (out []int64, texts []string) {
	t.Helper()
	for _, e := range snap["events"].([]any) {
		m := e.(map[string]any)
		out = append(out, int64(m["cursor"].(float64)))
		ev := m["event"].(map[string]any)
		texts = append(texts, fmt.Sprintf("%s:%s:%v", ev["type"], ev["user"], ev["text"]))
	}
	return out, texts
}

func TestResumeReturnsExactlyTheMissedEvents(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	alice := s.dial("alice")
	alice.Send(frame{"op": "join", "room": "r"})
	alice.Expect("snapshot", frame{})
	last, _ := alice.ExpectEvent("r", "join", "alice")
	bob := s.dial("bob")
	bob.Send(frame{"op": "join", "room": "r"})
	bob.Expect("snapshot", frame{})
	bob.ExpectEvent("r", "join", "bob")
	last, _ = alice.ExpectEvent("r", "join", "bob")

	_ = alice.WS.Close()
	bob.ExpectEvent("r", "leave", "alice")
	var want []int64
	for i := range 3 {
		bob.Send(frame{"op": "send", "room": "r", "text": fmt.Sprint("missed ", i), "ref": i})
		want = append(want, bob.AckAndEcho(i))
	}

	alice = s.dial("alice")
	alice.Send(frame{"op": "join", "room": "r", "after": last, "epoch": s.srv.Epoch()})
	snap := alice.Expect("snapshot", frame{"resumed": true, "truncated": false, "messages": 3})
	got, texts := cursors(t, snap)
	wantTexts := []string{"leave:alice:<nil>", "message:bob:missed 0", "message:bob:missed 1", "message:bob:missed 2"}
	if fmt.Sprint(texts) != fmt.Sprint(wantTexts) || got[len(got)-1] != want[2] {
		t.Fatalf("resumed events %v %v, want %v ending at %d", got, texts, wantTexts, want[2])
	}
	if c := int64(snap["cursor"].(float64)); c != want[2] {
		t.Fatalf("snapshot cursor %d, want %d", c, want[2])
	}
	alice.ExpectEvent("r", "join", "alice")

	// A cursor of another epoch is not honoured: plain history instead.
	carol := s.dial("carol")
	carol.Send(frame{"op": "join", "room": "r", "after": last, "epoch": "another-log", "history": 2})
	snap = carol.Expect("snapshot", frame{"resumed": false})
	if _, texts := cursors(t, snap); fmt.Sprint(texts) != "[message:bob:missed 1 message:bob:missed 2]" {
		t.Fatalf("history %v", texts)
	}
}

func TestLeaveDeliversOwnLeaveThenStops(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	a, b := s.dial("a"), s.dial("b")
	a.Send(frame{"op": "join", "room": "x"})
	a.Expect("snapshot", frame{})
	a.ExpectEvent("x", "join", "a")
	b.Send(frame{"op": "join", "room": "x"})
	b.Expect("snapshot", frame{})
	a.ExpectEvent("x", "join", "b")
	b.ExpectEvent("x", "join", "b")
	a.Send(frame{"op": "leave", "room": "x", "ref": "bye"})
	a.AckAndEvent("bye", "leave") // the ack and the own leave event, at one cursor
	b.ExpectEvent("x", "leave", "a")
	b.Send(frame{"op": "send", "room": "x", "text": "gone?", "ref": 1})
	b.AckAndEcho(1)
	a.Send(frame{"op": "send", "room": "x", "text": "still here"})
	a.Expect("error", frame{"code": "not_member"})
	testenv.WaitFor(t, 20*time.Second, func() error {
		var room map[string]any
		getJSON(t, s.http.URL+"/api/rooms/x", &room)
		if fmt.Sprint(room["members"]) != "[map[sessions:1 user:b]]" {
			return fmt.Errorf("members %v", room["members"])
		}
		return nil
	})
}

func TestSessionsOfOneUserCountSeparately(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	tab1, tab2 := s.dial("ann"), s.dial("ann")
	for _, c := range []*client{tab1, tab2} {
		c.Send(frame{"op": "join", "room": "tabs"})
		c.Expect("snapshot", frame{})
	}
	check := func(want string) {
		testenv.WaitFor(t, 20*time.Second, func() error {
			var room map[string]any
			getJSON(t, s.http.URL+"/api/rooms/tabs", &room)
			if got := fmt.Sprint(room["members"]); got != want {
				return fmt.Errorf("members %s, want %s", got, want)
			}
			return nil
		})
	}
	check("[map[sessions:2 user:ann]]")
	_ = tab1.WS.Close()
	check("[map[sessions:1 user:ann]]")
	var u map[string]any
	testenv.WaitFor(t, 20*time.Second, func() error {
		getJSON(t, s.http.URL+"/api/users/ann", &u)
		if u["sessions"] != 1.0 || fmt.Sprint(u["rooms"]) != "[tabs]" {
			return fmt.Errorf("user %v", u)
		}
		return nil
	})
	_ = tab2.WS.Close()
	check("[]")
}
