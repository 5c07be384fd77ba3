package server_test

import (
	"testing"
	"time"

	"github.com/chatstate/chatstate/server"
)

// TestPresenceDelayKeepsOrder: with the longest presence delay, the other
// members still get every join and leave, and in log order with the
// messages: a message queued right after a join takes the held join along
// instead of overtaking it.
func TestPresenceDelayKeepsOrder(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{PresenceDelay: server.MaxPresenceDelay})
	alice, bob, carol := s.dial("alice"), s.dial("bob"), s.dial("carol")
	alice.Send(frame{"op": "join", "room": "lobby", "ref": 1})
	alice.Expect("snapshot", frame{"ref": 1, "room": "lobby"})
	alice.ExpectEvent("lobby", "join", "alice")

	bob.Send(frame{"op": "join", "room": "lobby", "ref": 2})
	bob.Expect("snapshot", frame{"ref": 2, "room": "lobby"})
	bob.ExpectEvent("lobby", "join", "bob")
	bj, _ := alice.ExpectEvent("lobby", "join", "bob")

	// carol joins and bob writes at once: alice gets both, in order.
	carol.Send(frame{"op": "join", "room": "lobby", "ref": 3})
	carol.Expect("snapshot", frame{"ref": 3, "room": "lobby"})
	cj, _ := carol.ExpectEvent("lobby", "join", "carol")
	bob.Send(frame{"op": "send", "room": "lobby", "text": "hi", "ref": 4})
	// carol's join, held for bob, goes out before the answer to his send.
	if c, _ := bob.ExpectEvent("lobby", "join", "carol"); c != cj {
		t.Fatalf("bob got carol's join at %d, want %d", c, cj)
	}
	m := bob.AckAndEvent(4, "message")
	bob.Send(frame{"op": "leave", "room": "lobby", "ref": 5})
	got := []int64{bj}
	for _, want := range []struct{ typ, user string }{{"join", "carol"}, {"message", "bob"}, {"leave", "bob"}} {
		c, _ := alice.ExpectEvent("lobby", want.typ, want.user)
		got = append(got, c)
	}
	if got[1] != cj || got[2] != m || !(got[0] < got[1] && got[1] < got[2] && got[2] < got[3]) {
		t.Fatalf("alice's cursors %v; want bob's join, carol's join at %d, the message at %d, bob's leave, in order", got, cj, m)
	}
	// A held event alone goes out within the delay (a generous bound).
	start := time.Now()
	carol.Send(frame{"op": "leave", "room": "lobby", "ref": 6})
	alice.ExpectEvent("lobby", "leave", "carol")
	if took := time.Since(start); took > server.MaxPresenceDelay+20*time.Second {
		t.Fatalf("carol's leave reached alice after %v", took)
	}
}
