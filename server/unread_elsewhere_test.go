package server_test

import (
	"testing"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// nothingBefore sends a ping and checks that its pong is the next frame:
// nothing, unread frames included, was queued before it.
func nothingBefore(c *client, ref string) {
	c.T.Helper()
	c.Send(frame{"op": "ping", "ref": ref})
	c.Expect("pong", frame{"ref": ref})
}

// TestUnreadToSessionsThatDidNotJoin: "unread" goes to every session of
// the user, so a tab that did not join the room is told the counts too,
// after the other tab's join and whenever a message or a read changes
// them; once it joins, it is told each change once, through the room; a
// tab that connects between two messages is told of the second; and once
// the user is a member no more, no tab that did not join hears of it.
func TestUnreadToSessionsThatDidNotJoin(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	aside := testenv.Dial(t, s.http.URL, "alice") // joins no room yet
	aside.KeepUnread = true
	alice, aj := firstReader(t, s.http.URL, "alice")
	expectUnread(aside, "lobby", 0, 0, aj)
	bob := testenv.Dial(t, s.http.URL, "bob")
	bob.Send(frame{"op": "join", "room": "lobby"})
	bob.Expect("snapshot", frame{"room": "lobby"})
	bob.ExpectEvent("lobby", "join", "bob")
	alice.ExpectEvent("lobby", "join", "bob")
	nothingBefore(aside, "1") // bob's join changed none of alice's counts

	bob.Send(frame{"op": "send", "room": "lobby", "text": "hi @alice", "ref": 1})
	m1 := bob.AckAndEcho(1)
	expectUnread(alice, "lobby", 1, 1, aj)
	if before := expectUnread(aside, "lobby", 1, 1, aj); len(before) != 0 {
		t.Fatalf("aside got %v before its unread: it joined no room", before)
	}
	alice.Send(frame{"op": "read", "room": "lobby", "cursor": m1, "ref": 2})
	ackedRead(alice, 2, "lobby", 0, 0, m1)
	expectUnread(aside, "lobby", 0, 0, m1)

	// Joined, it is told each change once, after the event.
	aside.Send(frame{"op": "join", "room": "lobby", "history": 0})
	aside.Expect("snapshot", frame{"room": "lobby"})
	// Its unread follows the snapshot, or its join event (see
	// TestUnreadAcrossTabsAndServers): one of them, once.
	if before := expectUnread(aside, "lobby", 0, 0, m1); len(before) == 0 {
		aside.ExpectEvent("lobby", "join", "alice")
	}
	alice.ExpectEvent("lobby", "join", "alice")
	bob.ExpectEvent("lobby", "join", "alice")
	bob.Send(frame{"op": "send", "room": "lobby", "text": "two", "ref": 3})
	bob.AckAndEcho(3)
	aside.ExpectEvent("lobby", "message", "bob")
	expectUnread(aside, "lobby", 1, 0, m1)
	nothingBefore(aside, "2")
	// A tab that comes between two messages is told of the second.
	late := testenv.Dial(t, s.http.URL, "alice")
	late.KeepUnread = true
	bob.Send(frame{"op": "send", "room": "lobby", "text": "three", "ref": 4})
	bob.AckAndEcho(4)
	aside.ExpectEvent("lobby", "message", "bob")
	expectUnread(aside, "lobby", 2, 0, m1)
	if before := expectUnread(late, "lobby", 2, 0, m1); len(before) != 0 {
		t.Fatalf("the late tab got %v before its unread", before)
	}

	// Both leave: alice is a member no more, and a tab of hers that joined
	// nothing hears nothing of lobby.
	alice.ExpectEvent("lobby", "message", "bob")
	expectUnread(alice, "lobby", 1, 0, m1)
	alice.ExpectEvent("lobby", "message", "bob")
	expectUnread(alice, "lobby", 2, 0, m1)
	third := testenv.Dial(t, s.http.URL, "alice")
	third.KeepUnread = true
	for i, c := range []*client{alice, aside} {
		ref := float64(10 + i)
		c.Send(frame{"op": "leave", "room": "lobby", "ref": ref})
		for f := c.Next(); f["op"] != "ack" || f["ref"] != ref; f = c.Next() {
			if f["op"] != "event" { // the leaves of both tabs may come first
				t.Fatalf("%s: %v while leaving", c.User, f)
			}
		}
	}
	bob.ExpectEvent("lobby", "leave", "alice")
	bob.ExpectEvent("lobby", "leave", "alice")
	bob.Send(frame{"op": "send", "room": "lobby", "text": "four @alice", "ref": 5})
	bob.AckAndEcho(5)
	// bob's echo was queued after whatever the event queued elsewhere.
	nothingBefore(third, "3")
	nothingBefore(late, "4")
}
