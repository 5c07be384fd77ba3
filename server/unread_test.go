package server_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// untilUnread reads frames until the next unread frame of room and returns
// it with the frames read before it.
func untilUnread(c *client, room string) (unread frame, before []frame) {
	c.T.Helper()
	for {
		f := c.Next()
		if f["op"] == "unread" && f["room"] == room {
			return f, before
		}
		before = append(before, f)
	}
}

// expectUnread reads up to the next unread frame of room and checks it.
func expectUnread(c *client, room string, count, mentions, cursor int64) []frame {
	c.T.Helper()
	f, before := untilUnread(c, room)
	want := frame{"op": "unread", "room": room, "count": count, "mentions": mentions, "cursor": cursor}
	if ok, _ := testenv.JSONEqual(map[string]any(f), map[string]any(want)); !ok {
		c.T.Fatalf("%s: unread %v, want %v", c.User, f, want)
	}
	return before
}

// ackedRead reads the ack of the reader's read request ref, its read
// event and the unread frame that follows the event, in the orders they
// may come in, and checks the unread frame.
func ackedRead(c *client, ref any, room string, count, mentions, cursor int64) int64 {
	c.T.Helper()
	c.KeepUnread = false
	defer func() { c.KeepUnread = true }()
	n := len(c.Unread)
	at := c.AckAndEvent(ref, "read")
	var f frame
	if len(c.Unread) > n {
		f = c.Unread[n]
	} else {
		c.KeepUnread = true
		f = c.Expect("unread", nil)
	}
	want := frame{"op": "unread", "room": room, "count": count, "mentions": mentions, "cursor": cursor}
	if ok, _ := testenv.JSONEqual(map[string]any(f), map[string]any(want)); !ok {
		c.T.Fatalf("%s: unread %v, want %v", c.User, f, want)
	}
	return at
}

// unreadAPI waits until GET /api/users/{user}/unread on base answers want.
func unreadAPI(t *testing.T, base, user, want string) {
	t.Helper()
	testenv.WaitFor(t, 20*time.Second, func() error {
		var got any
		if st := getJSON(t, base+"/api/users/"+user+"/unread", &got); st != 200 {
			return fmt.Errorf("status %d", st)
		}
		var w any
		if err := jsonUnmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if ok, _ := testenv.JSONEqual(got, w); !ok {
			return fmt.Errorf("%s on %s: %v, want %s", user, base, got, want)
		}
		return nil
	})
}

// TestUnreadAcrossTabsAndServers follows one user's two tabs on two servers
// and another member through messages, mentions and read markers: after
// every step both tabs are told the same counts, and both servers' HTTP
// API answers them too.
func TestUnreadAcrossTabsAndServers(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	_, hs2, _ := startServer(t, s.kcfg, t.TempDir(), server.Config{ServerID: "s2"})
	dial := func(base, user string) *client {
		c := testenv.Dial(t, base, user)
		c.KeepUnread = true
		return c
	}
	join := func(c *client) (snapCursor, joinCursor int64, unread frame) {
		t.Helper()
		c.Send(frame{"op": "join", "room": "lobby"})
		snap := c.Expect("snapshot", frame{"room": "lobby"})
		// The unread frame follows the snapshot when the snapshot knew the
		// user's marker, and the session's own join event otherwise, which
		// is the user's latest join read by then. Another session's join
		// may come before it: one that the snapshot missed (written
		// through another server and not yet read by this one's tail)
		// comes as an event after the snapshot's cursor.
		snapCursor = int64(snap["cursor"].(float64))
		joinCursor = -1
		for unread == nil {
			f := c.Next()
			cur, _ := f["cursor"].(float64)
			switch ev, _ := f["event"].(map[string]any); {
			case f["op"] == "unread":
				unread = f
			case f["op"] == "event" && ev["type"] == "join" && ev["user"] == c.User:
				joinCursor = int64(cur)
			case f["op"] == "event" && ev["type"] == "join" && int64(cur) > snapCursor:
			default:
				t.Fatalf("%s: %v while joining", c.User, f)
			}
		}
		if joinCursor < 0 {
			joinCursor, _ = c.ExpectEvent("lobby", "join", c.User)
		}
		return snapCursor, joinCursor, unread
	}

	tab1 := dial(s.http.URL, "alice")
	_, aj, u := join(tab1)
	if ok, _ := testenv.JSONEqual(map[string]any(u), map[string]any{"op": "unread", "room": "lobby", "count": 0, "mentions": 0, "cursor": aj}); !ok {
		t.Fatalf("first join's unread %v, want the marker at the join %d", u, aj)
	}
	tab2 := dial(hs2.URL, "alice")
	if _, _, u := join(tab2); u["count"] != 0.0 || u["cursor"] != float64(aj) {
		t.Fatalf("second tab's unread %v, want count 0 at %d", u, aj)
	}
	bob := dial(s.http.URL, "bob")
	_, bj, _ := join(bob)
	tab1.ExpectEvent("lobby", "join", "alice") // tab2's join
	for _, c := range []*client{tab1, tab2} {
		c.ExpectEvent("lobby", "join", "bob")
	}

	// bob mentions alice: both tabs count it, bob is told nothing.
	bob.Send(frame{"op": "send", "room": "lobby", "text": "hi @alice", "ref": 1})
	m1 := bob.AckAndEcho(1)
	for _, c := range []*client{tab1, tab2} {
		if before := expectUnread(c, "lobby", 1, 1, aj); len(before) != 1 || before[0]["cursor"] != float64(m1) {
			t.Fatalf("%s: before the unread %v, want the message at %d", c.User, before, m1)
		}
	}
	// A name that is no member's counts for no one.
	bob.Send(frame{"op": "send", "room": "lobby", "text": "@carol look", "ref": 2})
	m2 := bob.AckAndEcho(2)
	for _, c := range []*client{tab1, tab2} {
		expectUnread(c, "lobby", 2, 1, aj)
	}
	// alice's own message, mentioning herself, is no unread of hers; bob
	// gets his first unread frame since his join's.
	tab1.Send(frame{"op": "send", "room": "lobby", "text": "@alice @bob", "ref": 3})
	m3 := tab1.AckAndEcho(3)
	if before := expectUnread(bob, "lobby", 1, 1, bj); len(before) != 1 || before[0]["cursor"] != float64(m3) {
		t.Fatalf("bob before his unread: %v", before)
	}
	tab2.ExpectEvent("lobby", "message", "alice")
	unreadAPI(t, s.http.URL, "alice", fmt.Sprintf(`{"user":"alice","rooms":[{"room":"lobby","count":2,"mentions":1,"cursor":%d}]}`, aj))
	unreadAPI(t, hs2.URL, "alice", fmt.Sprintf(`{"user":"alice","rooms":[{"room":"lobby","count":2,"mentions":1,"cursor":%d}]}`, aj))

	// The second tab, on the other server, reads up to the first message:
	// both tabs recount to the second; bob sees no read event.
	tab2.Send(frame{"op": "read", "room": "lobby", "cursor": m1, "ref": 4})
	r1 := ackedRead(tab2, 4, "lobby", 1, 0, m1)
	if before := expectUnread(tab1, "lobby", 1, 0, m1); len(before) != 1 || before[0]["cursor"] != float64(r1) {
		t.Fatalf("tab1 before the unread: %v, want the read event at %d", before, r1)
	}
	// Then to the end of what it saw.
	tab2.Send(frame{"op": "read", "room": "lobby", "cursor": m3, "ref": 5})
	ackedRead(tab2, 5, "lobby", 0, 0, m3)
	expectUnread(tab1, "lobby", 0, 0, m3)
	// A marker below the current one is acked and changes nothing.
	tab1.Send(frame{"op": "read", "room": "lobby", "cursor": m2, "ref": 6})
	ackedRead(tab1, 6, "lobby", 0, 0, m3)
	bob.Send(frame{"op": "ping", "ref": "p"})
	bob.Expect("pong", frame{"ref": "p"}) // no read event came before it
	unreadAPI(t, hs2.URL, "alice", fmt.Sprintf(`{"user":"alice","rooms":[{"room":"lobby","count":0,"mentions":0,"cursor":%d}]}`, m3))
	unreadAPI(t, s.http.URL, "bob", fmt.Sprintf(`{"user":"bob","rooms":[{"room":"lobby","count":1,"mentions":1,"cursor":%d}]}`, bj))

	// A later join is told the counts in its snapshot's unread frame, and
	// a resume shows bob none of alice's read events.
	bob2 := dial(hs2.URL, "bob")
	bob2.Send(frame{"op": "join", "room": "lobby", "after": bj})
	snap := bob2.Expect("snapshot", frame{"room": "lobby", "resumed": true})
	for _, e := range snap["events"].([]any) {
		if ev := e.(map[string]any)["event"].(map[string]any); ev["type"] == "read" {
			t.Fatalf("bob's resume holds alice's read %v", ev)
		}
	}
	bob2.Expect("unread", frame{"room": "lobby", "count": 1, "mentions": 1, "cursor": bj})

	bob.ExpectEvent("lobby", "join", "bob") // bob2's

	// What a read may not be.
	for _, tc := range []struct {
		f    frame
		code string
	}{
		{frame{"op": "read", "room": "other", "cursor": 0}, "not_member"},
		{frame{"op": "read", "room": "lobby"}, "bad_request"},
		{frame{"op": "read", "room": "lobby", "cursor": -1}, "bad_request"},
		{frame{"op": "read", "room": "lobby", "cursor": "3"}, "bad_request"},
		{frame{"op": "read", "room": "lobby", "cursor": 1 << 40}, "bad_request"},
	} {
		bob.Send(tc.f)
		bob.Expect("error", frame{"code": tc.code})
	}
	if st := getJSON(t, s.http.URL+"/api/users/carol/unread", new(any)); st != 404 {
		t.Fatalf("carol, never seen: %d, want 404", st)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// firstReader dials user, keeping their unread frames, and joins them to
// an empty lobby: they are told no unread at their join, which it returns.
func firstReader(t *testing.T, base, user string) (*client, int64) {
	t.Helper()
	c := testenv.Dial(t, base, user)
	c.KeepUnread = true
	c.Send(frame{"op": "join", "room": "lobby"})
	c.Expect("snapshot", frame{"room": "lobby"})
	at, _ := c.ExpectEvent("lobby", "join", user)
	expectUnread(c, "lobby", 0, 0, at)
	return c, at
}

// TestUnreadFollowsEditsAndDeletes: mentions count the unread messages
// whose latest text mentions the user, so an edit that adds or takes back
// a mention, and a delete, move them, and the user is told at once; an
// edit that changes no one's mentions tells no one. The count stays: a
// deleted message is still one of the room's messages.
func TestUnreadFollowsEditsAndDeletes(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	alice, aj := firstReader(t, s.http.URL, "alice")
	bob := testenv.Dial(t, s.http.URL, "bob")
	bob.Send(frame{"op": "join", "room": "lobby"})
	bob.Expect("snapshot", frame{"room": "lobby"})
	bob.ExpectEvent("lobby", "join", "bob")
	alice.ExpectEvent("lobby", "join", "bob")

	post := func(ref int, text string) (cursor int64, id string) {
		t.Helper()
		bob.Send(frame{"op": "send", "room": "lobby", "text": text, "ref": ref})
		cursor = bob.AckAndEvent(ref, "message")
		_, ev := alice.ExpectEvent("lobby", "message", "bob")
		return cursor, ev["id"].(string)
	}
	change := func(ref int, f frame, typ string) {
		t.Helper()
		f["room"], f["ref"] = "lobby", ref
		bob.Send(f)
		bob.AckAndEvent(ref, typ)
		alice.ExpectEvent("lobby", typ, "bob")
	}
	_, plain := post(1, "plain")
	expectUnread(alice, "lobby", 1, 0, aj)
	change(2, frame{"op": "edit", "id": plain, "text": "now @alice"}, "edit")
	expectUnread(alice, "lobby", 1, 1, aj)
	change(3, frame{"op": "edit", "id": plain, "text": "now @alice again"}, "edit")
	alice.Send(frame{"op": "ping", "ref": "p1"})
	alice.Expect("pong", frame{"ref": "p1"}) // no unread frame: nothing changed
	change(4, frame{"op": "edit", "id": plain, "text": "no one"}, "edit")
	expectUnread(alice, "lobby", 1, 0, aj)
	_, hi := post(5, "hi @alice")
	expectUnread(alice, "lobby", 2, 1, aj)
	change(6, frame{"op": "delete", "id": hi}, "delete")
	expectUnread(alice, "lobby", 2, 0, aj)
	unreadAPI(t, s.http.URL, "alice", fmt.Sprintf(`{"user":"alice","rooms":[{"room":"lobby","count":2,"mentions":0,"cursor":%d}]}`, aj))
}

// TestUnreadAfterAReadFarBack: a read that moves the marker past messages
// older than the room row's latest 64 is exact too: the server counts what
// it marks read in the log, and the fold takes that off.
func TestUnreadAfterAReadFarBack(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{APIKey: "k"})
	alice, aj := firstReader(t, s.http.URL, "alice")
	const n = 90 // every tenth mentions alice
	var cursors []int64
	for i := range n {
		text := fmt.Sprint("m", i)
		if i%10 == 0 {
			text += " @alice"
		}
		st, out := post(t, s.http.URL+"/api/rooms/lobby/messages", "k", fmt.Sprintf(`{"user":"bob","text":%q}`, text))
		if st != 200 {
			t.Fatalf("post %d: %d %v", i, st, out)
		}
		cursors = append(cursors, int64(out["cursor"].(float64)))
	}
	for i := range n {
		alice.ExpectEvent("lobby", "message", "bob")
		expectUnread(alice, "lobby", int64(i+1), int64(i/10+1), aj)
	}
	// Up to m14: 15 read (m0 and m10 mention her), 75 left (m20 to m80).
	alice.Send(frame{"op": "read", "room": "lobby", "cursor": cursors[14], "ref": 1})
	ackedRead(alice, 1, "lobby", n-15, 7, cursors[14])
	unreadAPI(t, s.http.URL, "alice", fmt.Sprintf(`{"user":"alice","rooms":[{"room":"lobby","count":75,"mentions":7,"cursor":%d}]}`, cursors[14]))
	// And on, still before the latest 64 (m26 to m89): 10 more.
	alice.Send(frame{"op": "read", "room": "lobby", "cursor": cursors[24], "ref": 2})
	ackedRead(alice, 2, "lobby", n-25, 6, cursors[24])
}
