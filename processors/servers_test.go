package processors

import (
	"testing"

	"github.com/chatstate/chatstate/codec"
)

func TestServersFold(t *testing.T) {
	add := func(room, session, ts string) *codec.Presence {
		return &codec.Presence{V: 1, Op: codec.AddSession, User: "u", Room: room, Session: session, Server: "a/1", TS: ts}
	}
	remove := func(room, session string) *codec.Presence {
		p := add(room, session, "2026-01-01T00:00:09.000Z")
		p.Op = codec.RemoveSession
		return p
	}
	beat := func(op codec.HeartbeatOp, ts string) *codec.Heartbeat {
		return &codec.Heartbeat{V: 1, Op: op, Instance: "a/1", Server: "a", TS: ts}
	}

	s, gone := ApplyHeld(nil, add("r1", "s1", "2026-01-01T00:00:01.000Z"))
	s, _ = ApplyHeld(s, add("r2", "s1", "2026-01-01T00:00:02.000Z"))
	s, _ = ApplyHeld(s, add("r1", "s1", "2026-01-01T00:00:03.000Z")) // redelivered: no change
	if gone || len(s.Held) != 2 || s.Since != "2026-01-01T00:00:01.000Z" || s.LastSign() != s.Since {
		t.Fatalf("after adds: %+v gone=%v", s, gone)
	}
	s, _ = ApplyHeartbeat(s, beat(codec.Beat, "2026-01-01T00:00:05.000Z"))
	s, _ = ApplyHeartbeat(s, beat(codec.Beat, "2026-01-01T00:00:04.000Z")) // late beat keeps the max
	if s.Beat != "2026-01-01T00:00:05.000Z" || s.LastSign() != s.Beat || s.Server != "a" {
		t.Fatalf("after beats: %+v", s)
	}
	s, gone = ApplyHeartbeat(s, beat(codec.Retire, "2026-01-01T00:00:06.000Z"))
	if gone || !s.Retired {
		t.Fatalf("retired with sessions held must stay: %+v gone=%v", s, gone)
	}
	s, gone = ApplyHeld(s, remove("r1", "s1"))
	if gone || len(s.Held) != 1 {
		t.Fatalf("after one remove: %+v gone=%v", s, gone)
	}
	s, gone = ApplyHeld(s, remove("r1", "s1")) // redelivered remove: no change
	if gone || len(s.Held) != 1 {
		t.Fatalf("after a repeated remove: %+v gone=%v", s, gone)
	}
	if _, gone = ApplyHeld(s, remove("r2", "s1")); !gone {
		t.Fatal("a retired instance without sessions must be deleted")
	}
	if _, gone = ApplyHeartbeat(nil, beat(codec.Retire, "2026-01-01T00:00:06.000Z")); !gone {
		t.Fatal("retiring an instance that holds nothing deletes it")
	}
}
