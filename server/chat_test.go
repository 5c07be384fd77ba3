package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

func TestTwoUsersChat(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	alice := s.dial("alice")
	alice.Send(frame{"op": "join", "room": "lobby", "ref": "j1"})
	snap := alice.Expect("snapshot", frame{"room": "lobby", "ref": "j1", "cursor": -1, "messages": 0, "resumed": false, "truncated": false})
	if snap["epoch"] != s.srv.Epoch() || len(snap["members"].([]any)) != 0 || len(snap["events"].([]any)) != 0 {
		t.Fatalf("snapshot %v", snap)
	}
	aj, _ := alice.ExpectEvent("lobby", "join", "alice")

	bob := s.dial("bob")
	bob.Send(frame{"op": "join", "room": "lobby"})
	snap = bob.Expect("snapshot", frame{"room": "lobby"})
	if c := int64(snap["cursor"].(float64)); c < aj {
		t.Fatalf("bob's snapshot at %d misses alice's join at %d", c, aj)
	}
	if fmt.Sprint(snap["members"]) != "[map[sessions:1 user:alice]]" {
		t.Fatalf("members %v", snap["members"])
	}
	bj, _ := bob.ExpectEvent("lobby", "join", "bob")
	if c, _ := alice.ExpectEvent("lobby", "join", "bob"); c != bj {
		t.Fatalf("alice saw bob's join at %d, bob at %d", c, bj)
	}

	alice.Send(frame{"op": "send", "room": "lobby", "text": "  hello bob  ", "ref": 7})
	mc := alice.AckAndEcho(7)
	for _, c := range []*client{bob} {
		cur, ev := c.ExpectEvent("lobby", "message", "alice")
		if cur != mc || ev["text"] != "hello bob" || ev["room"] != "lobby" {
			t.Fatalf("%s got message %v at %d, acked at %d", c.User, ev, cur, mc)
		}
	}

	testenv.WaitFor(t, 20*time.Second, func() error {
		var room map[string]any
		if st := getJSON(t, s.http.URL+"/api/rooms/lobby", &room); st != 200 {
			return fmt.Errorf("status %d", st)
		}
		if room["messages"] != 1.0 || fmt.Sprint(room["members"]) != "[map[sessions:1 user:alice] map[sessions:1 user:bob]]" {
			return fmt.Errorf("room %v", room)
		}
		return nil
	})

	_ = bob.WS.Close()
	alice.ExpectEvent("lobby", "leave", "bob")
	testenv.WaitFor(t, 20*time.Second, func() error {
		var users map[string][]map[string]any
		getJSON(t, s.http.URL+"/api/users?online=true", &users)
		if len(users["users"]) != 1 || users["users"][0]["user"] != "alice" || fmt.Sprint(users["users"][0]["rooms"]) != "[lobby]" {
			return fmt.Errorf("online users %v", users)
		}
		return nil
	})
}
