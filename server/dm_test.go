package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// TestDirectRoomFromBothSides opens the direct room of alice and bob from
// both sides, on two servers: the same room, private to the two; bob is
// told he was invited on his server; nobody else may join it.
func TestDirectRoomFromBothSides(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	_, hs2, _ := startServer(t, s.kcfg, t.TempDir(), server.Config{ServerID: "s2"})
	room := codec.DMRoom("alice", "bob")
	alice := s.dial("alice")
	bob := testenv.Dial(t, hs2.URL, "bob")
	carol := s.dial("carol")

	alice.Send(frame{"op": "dm", "user": "alice", "ref": 0})
	alice.Expect("error", frame{"code": "bad_request", "ref": 0})
	alice.Send(frame{"op": "dm", "ref": 9})
	alice.Expect("error", frame{"code": "bad_request", "ref": 9})

	alice.Send(frame{"op": "dm", "user": "bob", "ref": 1})
	// The snapshot is the room before its first event; the join that
	// follows makes it the direct room of the two.
	alice.Expect("snapshot", frame{"ref": 1, "room": room, "cursor": -1, "private": false, "dm": nil, "members": []frame{}})
	if _, join := alice.ExpectEvent(room, "join", "alice"); join["target"] != "bob" {
		t.Fatalf("join %v", join)
	}
	_, inv := alice.ExpectEvent(room, "invite", "alice")
	if inv["target"] != "bob" {
		t.Fatalf("invite %v", inv)
	}
	bob.Expect("invited", frame{"room": room, "by": "alice"})

	bob.Send(frame{"op": "dm", "user": "alice", "ref": 2})
	snap := bob.Expect("snapshot", frame{"ref": 2, "room": room})
	// s2's snapshot may precede alice's join and invite, which then come
	// as events before bob's own join.
	seen := len(snap["members"].([]any)) == 1 && snap["private"] == true
	for {
		ev := bob.Expect("event", frame{"room": room})["event"].(map[string]any)
		if ev["user"] == "bob" && ev["type"] == "join" {
			break
		}
		seen = seen || ev["type"] == "join" && ev["user"] == "alice"
	}
	if !seen {
		t.Fatalf("bob's snapshot %v and events lack alice's join", snap)
	}
	alice.ExpectEvent(room, "join", "bob")

	// Messages go both ways; a third user may not join, nor open it.
	act(t, bob, frame{"op": "send", "room": room, "text": "hi alice", "ref": 3}, "message", alice)
	carol.Send(frame{"op": "join", "room": room, "ref": 4})
	carol.Expect("error", frame{"code": "forbidden", "ref": 4})
	carol.Send(frame{"op": "invite", "room": room, "user": "carol", "ref": 5})
	carol.Expect("error", frame{"code": "forbidden", "ref": 5})
	// Its rules are no one's to change.
	alice.Send(frame{"op": "settings", "room": room, "private": false, "ref": 6})
	alice.Expect("error", frame{"code": "forbidden", "ref": 6})

	// Opening it again answers its snapshot; nobody is invited again.
	alice.Send(frame{"op": "dm", "user": "bob", "ref": 7})
	alice.Expect("snapshot", frame{"ref": 7, "room": room, "messages": 1})
	bob.Quiet(300 * time.Millisecond)
}

// TestPostCannotTakeADirectRoom: a message posted over HTTP (with the API
// key, as any user) to the name of a direct room not yet opened is refused
// with 403 and writes nothing, so the pair can still open it; once open, a
// post as a third user is refused too, and as one of the two it is taken.
func TestPostCannotTakeADirectRoom(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{APIKey: "k"})
	room := codec.DMRoom("carl", "dora")
	url := s.http.URL + "/api/rooms/" + room + "/messages"
	if st, out := post(t, url, "k", `{"user":"mallory","text":"mine now"}`); st != 403 || out["error"].(map[string]any)["code"] != "forbidden" {
		t.Fatalf("post to a direct room not yet opened: %d %v", st, out)
	}
	carl := s.dial("carl")
	carl.Send(frame{"op": "dm", "user": "dora", "ref": 1})
	carl.Expect("snapshot", frame{"ref": 1, "room": room, "cursor": -1})
	carl.ExpectEvent(room, "join", "carl")
	carl.ExpectEvent(room, "invite", "carl")
	testenv.WaitFor(t, 10*time.Second, func() error {
		st, out := post(t, url, "k", `{"user":"mallory","text":"let me in"}`)
		if st != 403 {
			return fmt.Errorf("a third user's post to an open direct room: %d %v", st, out)
		}
		return nil
	})
	if st, out := post(t, url, "k", `{"user":"dora","text":"hi carl"}`); st != 200 {
		t.Fatalf("dora's post: %d %v", st, out)
	}
	carl.ExpectEvent(room, "message", "dora")
}
