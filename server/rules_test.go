package server_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// rulesRoom opens room with alice (its owner), mo (made moderator) and
// bob, each of whom has seen every event so far.
func rulesRoom(t *testing.T, s *stack, room string) (alice, mo, bob *client) {
	t.Helper()
	alice, mo, bob = s.dial("alice"), s.dial("mo"), s.dial("bob")
	in := []*client{}
	for _, c := range []*client{alice, mo, bob} {
		c.Send(frame{"op": "join", "room": room})
		c.Expect("snapshot", frame{"room": room})
		in = append(in, c)
		for _, o := range in {
			o.ExpectEvent(room, "join", c.User)
		}
	}
	act(t, alice, frame{"op": "role", "room": room, "user": "mo", "role": "moderator", "ref": "r0"}, "role", in...)
	return alice, mo, bob
}

// act sends f from c, reads its ack and its event of type typ, and reads
// that event at each of the others.
func act(t *testing.T, c *client, f frame, typ string, members ...*client) int64 {
	t.Helper()
	c.Send(f)
	cursor := c.AckAndEvent(f["ref"], typ)
	for _, o := range members {
		if o != c {
			if got, _ := o.ExpectEvent(f["room"].(string), typ, c.User); got != cursor {
				t.Fatalf("%s: %s at %d, acked at %d", o.User, typ, got, cursor)
			}
		}
	}
	return cursor
}

// TestRulesWhoMay checks, op by op, who may change a room's rules and who
// is refused with which code; nothing refused reaches the members.
func TestRulesWhoMay(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	alice, mo, bob := rulesRoom(t, s, "club")
	carol := s.dial("carol")
	for i, tc := range []struct {
		c    *client
		f    frame
		code string
	}{
		{bob, frame{"op": "settings", "room": "club", "private": true}, "forbidden"},
		{mo, frame{"op": "settings", "room": "club", "topic": "x"}, "forbidden"},
		{alice, frame{"op": "settings", "room": "club"}, "bad_request"},
		{alice, frame{"op": "settings", "room": "club", "topic": string(make([]byte, 257))}, "too_large"},
		{carol, frame{"op": "settings", "room": "nosuch", "private": true}, "not_found"},
		{mo, frame{"op": "role", "room": "club", "user": "bob", "role": "moderator"}, "forbidden"},
		{alice, frame{"op": "role", "room": "club", "user": "bob", "role": "admin"}, "bad_request"},
		{alice, frame{"op": "role", "room": "club", "user": "alice", "role": "member"}, "forbidden"},
		{carol, frame{"op": "invite", "room": "club", "user": "dave"}, "forbidden"},
		{alice, frame{"op": "invite", "room": "club"}, "bad_request"},
		{bob, frame{"op": "kick", "room": "club", "user": "mo"}, "forbidden"},
		{mo, frame{"op": "kick", "room": "club", "user": "alice"}, "forbidden"},
		{mo, frame{"op": "ban", "room": "club", "user": "alice", "on": true}, "forbidden"},
		{bob, frame{"op": "ban", "room": "club", "user": "carol", "on": true}, "forbidden"},
		{mo, frame{"op": "ban", "room": "club", "user": "carol"}, "bad_request"},
		{mo, frame{"op": "mute", "room": "club", "user": "alice", "on": true}, "forbidden"},
		{bob, frame{"op": "mute", "room": "club", "user": "mo", "on": true}, "forbidden"},
		{alice, frame{"op": "kick", "room": "club", "user": "-x"}, "bad_request"},
	} {
		tc.c.Send(tc.f)
		tc.c.Expect("error", frame{"code": tc.code, "ref": nil})
		_ = i
	}
	members := []*client{alice, mo, bob}
	// A member invites in a public room; the owner makes it private with
	// a topic; a stranger may not join it, an invited user may, and is
	// told of the invitation wherever connected.
	act(t, bob, frame{"op": "invite", "room": "club", "user": "carol", "ref": 1}, "invite", members...)
	carol.Expect("invited", frame{"room": "club", "by": "bob"})
	act(t, alice, frame{"op": "settings", "room": "club", "private": true, "topic": " plans ", "ref": 2}, "settings", members...)
	dave := s.dial("dave")
	dave.Send(frame{"op": "join", "room": "club", "ref": 3})
	dave.Expect("error", frame{"code": "forbidden", "ref": 3})
	bob.Send(frame{"op": "invite", "room": "club", "user": "dave"})
	bob.Expect("error", frame{"code": "forbidden"})
	carol.Send(frame{"op": "join", "room": "club"})
	snap := carol.Expect("snapshot", frame{"room": "club", "owner": "alice", "moderators": []string{"mo"}, "private": true, "topic": "plans", "banned": nil, "muted": nil})
	_ = snap
	members = append(members, carol)
	for _, c := range members {
		c.ExpectEvent("club", "join", "carol")
	}
	// The owner and moderators see bans and mutes in their snapshots.
	act(t, mo, frame{"op": "mute", "room": "club", "user": "bob", "on": true, "ref": 4}, "mute", members...)
	mo.Send(frame{"op": "join", "room": "club"})
	mo.Expect("snapshot", frame{"room": "club", "banned": []string{}, "muted": []string{"bob"}})
	// A muted user may not write; unmuted, they may again.
	bob.Send(frame{"op": "send", "room": "club", "text": "hi", "ref": 5})
	bob.Expect("error", frame{"code": "forbidden", "ref": 5})
	act(t, mo, frame{"op": "mute", "room": "club", "user": "bob", "on": false, "ref": 6}, "mute", members...)
	act(t, bob, frame{"op": "send", "room": "club", "text": "hi", "ref": 7}, "message", members...)
	act(t, alice, frame{"op": "role", "room": "club", "user": "mo", "role": "member", "ref": 8}, "role", members...)
	mo.Send(frame{"op": "kick", "room": "club", "user": "bob"})
	mo.Expect("error", frame{"code": "forbidden"})
}

// TestBanEndsSessions bans a user with two open sessions: each gets the
// ban event and then nothing of the room; the members list and the users
// table lose the user; a banned user may not join again, until unbanned.
func TestBanEndsSessions(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{APIKey: "k"})
	alice, mo, bob := rulesRoom(t, s, "hall")
	bob2 := s.dial("bob")
	bob2.Send(frame{"op": "join", "room": "hall"})
	bob2.Expect("snapshot", frame{"room": "hall", "banned": nil})
	for _, c := range []*client{alice, mo, bob, bob2} {
		c.ExpectEvent("hall", "join", "bob")
	}
	// Then the servers' leaves of bob's two sessions, seen by the others
	// (by mo perhaps before the ack).
	mo.Send(frame{"op": "ban", "room": "hall", "user": "bob", "on": true, "ref": 1})
	banned := mo.AckAndEvents(1, "ban mo", "leave bob", "leave bob")
	for _, o := range []*client{alice, bob, bob2} {
		if got, _ := o.ExpectEvent("hall", "ban", "mo"); got != banned {
			t.Fatalf("%s: ban at %d, acked at %d", o.User, got, banned)
		}
	}
	for range 2 {
		alice.ExpectEvent("hall", "leave", "bob")
	}
	alice.Send(frame{"op": "send", "room": "hall", "text": "after", "ref": 2})
	alice.AckAndEvent(2, "message")
	mo.ExpectEvent("hall", "message", "alice")
	bob.Send(frame{"op": "send", "room": "hall", "text": "still here?", "ref": 3})
	bob.Expect("error", frame{"code": "not_member", "ref": 3})
	bob.Send(frame{"op": "join", "room": "hall", "ref": 4})
	bob.Expect("error", frame{"code": "forbidden", "ref": 4})
	bob2.Quiet(300 * time.Millisecond)

	alice.Send(frame{"op": "join", "room": "hall"})
	alice.Expect("snapshot", frame{"room": "hall", "members": []frame{{"user": "alice", "sessions": 1}, {"user": "mo", "sessions": 1}},
		"banned": []string{"bob"}, "muted": []string{}})
	testenv.WaitFor(t, 10*time.Second, func() error {
		var u struct{ Rooms []string }
		if code := getJSON(t, s.http.URL+"/api/users/bob", &u); code != 200 || slices.Contains(u.Rooms, "hall") {
			return fmt.Errorf("bob: %d %v", code, u.Rooms)
		}
		return nil
	})
	act(t, alice, frame{"op": "ban", "room": "hall", "user": "bob", "on": false, "ref": 5}, "ban", mo)
	bob.Send(frame{"op": "join", "room": "hall"})
	bob.Expect("snapshot", frame{"room": "hall"})
}

// TestKickEndsSessions kicks a member: their session gets the kick and
// nothing more, and they may join a public room again.
func TestKickEndsSessions(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	alice, mo, bob := rulesRoom(t, s, "den")
	alice.Send(frame{"op": "kick", "room": "den", "user": "bob", "ref": 1})
	kicked := alice.AckAndEvents(1, "kick alice", "leave bob")
	for _, o := range []*client{mo, bob} {
		if got, _ := o.ExpectEvent("den", "kick", "alice"); got != kicked {
			t.Fatalf("%s: kick at %d, acked at %d", o.User, got, kicked)
		}
	}
	mo.ExpectEvent("den", "leave", "bob")
	bob.Send(frame{"op": "send", "room": "den", "text": "x", "ref": 2})
	bob.Expect("error", frame{"code": "not_member", "ref": 2})
	bob.Send(frame{"op": "join", "room": "den"})
	bob.Expect("snapshot", frame{"room": "den", "members": []frame{{"user": "alice", "sessions": 1}, {"user": "mo", "sessions": 1}}})
	bob.ExpectEvent("den", "join", "bob")
}
