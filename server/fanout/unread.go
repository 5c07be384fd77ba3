package fanout

import (
	"slices"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/processors"
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
	// remention are the users whose mentions an edit or delete changed.
	remention []string
}

// mentionedBefore returns, for an edit or delete about to be folded into
// row, the users its message mentions before it, and whether the row's
// latest messages hold the message; unreadOf takes them after the fold.
func mentionedBefore(row *codec.RoomState, e *codec.Event) ([]string, bool) {
	if e.Type != codec.Edit && e.Type != codec.Delete || e.Cursor <= 0 {
		return nil, false
	}
	if m := processors.LatestAt(row, e.Cursor); m != nil {
		return m.Mentioned, true
	}
	return nil, false
}

// unreadOf returns the unread frames of e, folded into row: a message
// changes the read state of every user with some but its author, a read
// that of its user, an edit or delete the mentions of the users its
// message mentions no more or now does (before, found: mentionedBefore).
func unreadOf(row *codec.RoomState, e *codec.Event, before []string, found bool) *unreadFrames {
	if len(row.Reads) == 0 {
		return nil
	}
	switch e.Type {
	case codec.Message, codec.Read, codec.Join:
		return &unreadFrames{row: row, e: e}
	case codec.Edit, codec.Delete:
		m := processors.LatestAt(row, e.Cursor)
		if !found || m == nil {
			return nil
		}
		var changed []string
		for _, u := range slices.Concat(before, m.Mentioned) {
			in := slices.Contains(before, u) != slices.Contains(m.Mentioned, u)
			if r := row.Reads[u]; in && r != nil && r.Cursor < m.Cursor && !slices.Contains(changed, u) {
				changed = append(changed, u)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		return &unreadFrames{row: row, e: e, remention: changed}
	}
	return nil
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
	switch u.e.Type {
	case codec.Message:
		if user == u.e.User {
			return nil
		}
	case codec.Read:
		if user != u.e.User {
			return nil
		}
	case codec.Edit, codec.Delete:
		if !slices.Contains(u.remention, user) {
			return nil
		}
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
