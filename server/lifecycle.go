package server

import (
	"context"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/logread"
	"github.com/chatstate/chatstate/server/fanout"
	"github.com/chatstate/chatstate/server/protocol"
)

// change writes an edit, delete or react of a message of a joined room, once
// the message is found in the room's latest codec.HistoryLimit messages and
// the user may change it: edit and delete are its author's, react anyone's
// in the room; a deleted message takes nothing more. All three are
// rate-limited with sends. c.mu held.
func (c *conn) change(f *protocol.ClientFrame) error {
	if c.joined(f.Room) == nil {
		return protocol.Errorf(protocol.CodeNotMember, "join room %s before changing its messages", f.Room)
	}
	if !c.allowSend() {
		return protocol.Errorf(protocol.CodeRateLimited, "too many messages and changes: at most %g per second", c.srv.cfg.SendRate)
	}
	if f.Op != "delete" {
		if err := c.srv.mayWrite(f.Room, c.User()); err != nil {
			return err
		}
	}
	typ := codec.EventType(f.Op)
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.ReadTimeout)
	defer cancel()
	m, at, err := c.srv.message(ctx, f.Room, f.ID)
	if err != nil {
		return err
	}
	if m == nil || m.Deleted {
		return protocol.Errorf(protocol.CodeNotFound, "no message %s among the last %d of room %s", f.ID, codec.HistoryLimit, f.Room)
	}
	if typ != codec.React && m.User != c.User() {
		return protocol.Errorf(protocol.CodeForbidden, "only its author, %s, may %s message %s", m.User, f.Op, f.ID)
	}
	e := c.event(typ, f.Room)
	e.ID = f.ID
	switch typ {
	case codec.Edit:
		e.Text, e.Cursor = *f.Text, at
	case codec.Delete:
		e.Cursor = at // where the rooms' fold finds the message's mentions
	case codec.React:
		e.Emoji, e.On = f.Emoji, *f.On
	}
	return c.writeAck(e, f.Ref)
}

// message returns the current state of message id of room and its cursor,
// or nil if it is not among the room's last codec.HistoryLimit messages:
// from the hub's copy of the room when its ring holds the message, and
// otherwise from the log, read from where the room's row says those
// messages begin.
func (s *Server) message(ctx context.Context, room, id string) (*protocol.Change, int64, error) {
	var m *protocol.Change
	var at int64
	found := false
	s.hub.Copy(room, func(r fanout.Room) { m, at, found = r.Message(id) })
	if found {
		return m, at, nil
	}
	_, last := s.hub.Seen(room)
	row, err := s.roomAt(ctx, room, last)
	if err != nil {
		return nil, 0, err
	}
	from, _ := row.HistoryFrom(codec.HistoryLimit)
	if from < 0 {
		return nil, 0, nil
	}
	var entries []protocol.Entry
	seen := false
	_, _, err = s.reader.Scan(ctx, room, from, row.Cursor, func(e logread.Entry) bool {
		seen = seen || e.Event.Type == codec.Message && e.Event.ID == id
		if seen {
			entries = append(entries, protocol.Entry{Cursor: e.Cursor, Event: e.Event.Public()})
		}
		return true
	})
	if err != nil {
		return nil, 0, unavailable(err)
	}
	if len(entries) == 0 {
		return nil, 0, nil
	}
	if c := protocol.Changes(entries)[id]; c != nil {
		return c, entries[0].Cursor, nil
	}
	return &protocol.Change{User: entries[0].Event.User, Text: entries[0].Event.Text}, entries[0].Cursor, nil
}
