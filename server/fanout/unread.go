package fanout

import (
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/protocol"
)

// The hub tells each subscription's user their read state whenever an event
// changes it: the copy of the room folds the read state with the rest of
// the row (processors.FoldRoom), so the count it holds after an event is
// the one the rooms table will hold at that event's cursor, on every server
// that serves the room. The unread frame follows the event's frame through
// the subscription, so a paused subscription buffers both, and its floor
// drops both when the snapshot already covers them.

// unreadFrames are the unread frames one event causes, encoded once per
// user and shared by that user's sessions. A nil *unreadFrames has none.
type unreadFrames struct {
	row    *codec.RoomState
	e      *codec.Event
	frames map[string][]byte
}

// unreadOf returns the unread frames of e, folded into row: a message
// changes the read state of every user with some but its author, a read
// that of its user.
func unreadOf(row *codec.RoomState, e *codec.Event) *unreadFrames {
	if len(row.Reads) == 0 || e.Type != codec.Message && e.Type != codec.Read && e.Type != codec.Join {
		return nil
	}
	return &unreadFrames{row: row, e: e}
}

// forSubscription returns the unread frame that follows the event for one
// subscription: the user's, if the event changed their read state, or if
// it is the join the subscription waits for to tell its user where their
// marker is (see Subscription.UnreadOnJoin).
func (u *unreadFrames) forSubscription(user, session string, s *Subscription) []byte {
	if u == nil {
		return nil
	}
	if u.e.Type == codec.Join {
		if u.e.Session != session || !s.takeUnreadOnJoin() {
			return nil
		}
		return u.encode(user)
	}
	return u.frame(user)
}

// frame returns the unread frame for user, or nil if the event left their
// read state as it was.
func (u *unreadFrames) frame(user string) []byte {
	if u == nil {
		return nil
	}
	if u.e.Type == codec.Message && user == u.e.User || u.e.Type == codec.Read && user != u.e.User {
		return nil
	}
	return u.encode(user)
}

// encode returns user's unread frame, encoded once per event.
func (u *unreadFrames) encode(user string) []byte {
	r := u.row.Reads[user]
	if r == nil {
		return nil
	}
	if f, ok := u.frames[user]; ok {
		return f
	}
	if u.frames == nil {
		u.frames = map[string][]byte{}
	}
	f := protocol.Unread(u.row.Room, *r)
	u.frames[user] = f
	return f
}
