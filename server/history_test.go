package server_test

import (
	"fmt"
	"testing"

	"github.com/chatstate/chatstate/server"
)

// TestHistoryIsTheLastMessages asks for histories around the spacing of the
// room row's marks (codec.MarkEvery = 32) and beyond the room's count: each
// must be exactly the latest messages, oldest first, with the joins between
// them left out.
func TestHistoryIsTheLastMessages(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{SendRate: 1000, SendBurst: 1000})
	bob := s.dial("bob")
	bob.Send(frame{"op": "join", "room": "h"})
	bob.Expect("snapshot", frame{})
	bob.ExpectEvent("h", "join", "bob")
	const sent = 70
	var all []string
	for i := range sent {
		if i%20 == 10 {
			// A join between the messages: history skips it.
			other := s.dial(fmt.Sprint("guest", i))
			other.Send(frame{"op": "join", "room": "h"})
			other.Expect("snapshot", frame{})
			bob.ExpectEvent("h", "join", fmt.Sprint("guest", i))
		}
		bob.Send(frame{"op": "send", "room": "h", "text": fmt.Sprint("m", i), "ref": i})
		bob.AckAndEcho(i)
		all = append(all, fmt.Sprintf("message:bob:m%d", i))
	}
	for _, n := range []any{0, 1, 31, 32, 33, 38, 39, 40, 50, 69, 70, 71, 500, nil} {
		c := s.dial("carol")
		join := frame{"op": "join", "room": "h"}
		want := 50 // the default
		if n != nil {
			join["history"], want = n, n.(int)
		}
		c.Send(join)
		snap := c.Expect("snapshot", frame{"truncated": false, "messages": sent})
		_, texts := cursors(t, snap)
		if w := all[max(0, sent-want):]; fmt.Sprint(texts) != fmt.Sprint(w) {
			t.Fatalf("history %v: got %d %v, want %d %v", n, len(texts), texts, len(w), w)
		}
		_ = c.WS.Close()
	}
}

// TestRoomAnswerKeepsUpWithTheStream reads the room over HTTP right after
// each message reached a socket: the answer is never behind what the
// socket saw, however far the rooms view lags.
func TestRoomAnswerKeepsUpWithTheStream(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{SendRate: 1000, SendBurst: 1000})
	bob := s.dial("bob")
	bob.Send(frame{"op": "join", "room": "fresh"})
	bob.Expect("snapshot", frame{})
	join, _ := bob.ExpectEvent("fresh", "join", "bob")
	var room struct {
		Cursor   int64 `json:"cursor"`
		Messages int64 `json:"messages"`
		Members  []struct {
			User string `json:"user"`
		} `json:"members"`
	}
	if code := getJSON(t, s.http.URL+"/api/rooms/fresh", &room); code != 200 || room.Cursor < join || len(room.Members) != 1 {
		t.Fatalf("after the join: %d %+v, want the join at cursor %d", code, room, join)
	}
	for i := range 20 {
		bob.Send(frame{"op": "send", "room": "fresh", "text": fmt.Sprint("m", i), "ref": i})
		cursor := bob.AckAndEcho(i)
		if code := getJSON(t, s.http.URL+"/api/rooms/fresh", &room); code != 200 || room.Cursor < cursor || room.Messages != int64(i+1) {
			t.Fatalf("after message %d at cursor %d: %d %+v", i, cursor, code, room)
		}
	}
}
