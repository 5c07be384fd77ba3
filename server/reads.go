package server

import (
	"slices"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/fanout"
	"github.com/chatstate/chatstate/server/protocol"
)

// read writes the user's read marker in a joined room as a read event and
// acks it at its cursor. The marker is checked against what the server's
// tail has passed in the room (no one reads what is not written); one at
// or below the user's marker is written all the same and changes nothing,
// which is not an error: the fold decides, at the event's cursor, as it
// does for a read written by anyone else. c.mu held.
func (c *conn) read(f *protocol.ClientFrame) error {
	if c.joined(f.Room) == nil {
		return protocol.Errorf(protocol.CodeNotMember, "join room %s before marking it read", f.Room)
	}
	if last := c.srv.lastCursor(f.Room); *f.Cursor > last {
		return protocol.Errorf(protocol.CodeBadRequest, "cursor %d is past the room's last event (%d)", *f.Cursor, last)
	}
	if !c.allowRead() {
		return protocol.Errorf(protocol.CodeRateLimited, "too many read markers: at most %g per second", c.srv.cfg.SendRate)
	}
	e := c.event(codec.Read, f.Room)
	e.Cursor = *f.Cursor
	c.srv.markRead(&e)
	return c.writeAck(e, f.Ref)
}

// lastCursor returns the last cursor of room that this server knows of: the
// tail's, or its copy's, which a snapshot may have brought from the view
// ahead of the tail.
func (s *Server) lastCursor(room string) int64 {
	_, last := s.hub.Seen(room)
	s.hub.Copy(room, func(r fanout.Room) { last = max(last, r.Row().Cursor) })
	return last
}

// visibleTo returns entries without the read events of users other than
// user: a read marker is shown to its own user's sessions only. entries
// may be shared (a join's events also seed the hub's copy): it is never
// modified, and returned as it is when there is nothing to leave out.
func visibleTo(entries []protocol.Entry, user string) []protocol.Entry {
	for i, e := range entries {
		if e.Event.Type == codec.Read && e.Event.User != user {
			out := slices.Clone(entries[:i])
			for _, e := range entries[i+1:] {
				if e.Event.Type != codec.Read || e.Event.User == user {
					out = append(out, e)
				}
			}
			return out
		}
	}
	return entries
}

// readsOf returns a copy of user's read state in row, or nil if they have
// none there.
func readsOf(row *codec.RoomState, user string) *codec.ReadMark {
	if r := row.Reads[user]; r != nil {
		c := *r
		return &c
	}
	return nil
}
