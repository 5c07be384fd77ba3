package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// TestReassertionHealsLostWrites: the log is made to disagree with what a
// live server holds, as lost writes would leave it: a ghost session the
// server never held (its leave lost), and a live member's session expired
// while it lived. Within a few TTLs the server's re-assertion writes the
// ghost's leave and the member's join again, and the room lists exactly
// the member; the member's stream tells it all, in order.
func TestReassertionHealsLostWrites(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{SessionTTL: 2 * time.Second})
	alice := s.dial("alice")
	alice.Send(frame{"op": "join", "room": "haunted"})
	alice.Expect("snapshot", nil)
	_, join := alice.ExpectEvent("haunted", "join", "alice")

	ghostJoin(t, s.kcfg, "haunted", "ghost", "g1", s.srv.Instance())
	alice.ExpectEvent("haunted", "join", "ghost")
	expire := codec.NewEvent(codec.Expire, "haunted", "alice")
	expire.Session, expire.Server = join["session"].(string), s.srv.Instance()
	produce(t, s.kcfg, string(s.kcfg.Names.Events), "haunted", &expire)
	alice.ExpectEvent("haunted", "expire", "alice")

	// The next rounds: the ghost's leave and alice's join, in either order.
	got := map[string]bool{}
	for len(got) < 2 {
		f := alice.Expect("event", nil)
		ev := f["event"].(map[string]any)
		k := fmt.Sprint(ev["type"], " ", ev["user"])
		if k != "leave ghost" && k != "join alice" || got[k] {
			t.Fatalf("alice got %v, want the ghost's leave and her own join, once each", f)
		}
		got[k] = true
	}
	testenv.WaitFor(t, 30*time.Second, func() error {
		if m := members(t, s.http.URL, "haunted"); m != "[map[sessions:1 user:alice]]" {
			return fmt.Errorf("members %s, want alice alone", m)
		}
		return nil
	})
	alice.Send(frame{"op": "send", "room": "haunted", "text": "still here", "ref": 1})
	alice.AckAndEcho(1)
}
