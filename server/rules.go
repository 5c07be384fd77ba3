package server

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/server/fanout"
	"github.com/chatstate/chatstate/server/protocol"
)

// The server enforces the rooms' rules before it writes (nothing invalid
// is written), with the processors' own check (processors.Check) against
// its current view of the room's row: the hub's copy, or the view brought
// up to the tail with the log (roomAt). The fold checks again at the
// event's cursor, which decides: a rule event acked here may still change
// nothing if another event got in between (the owner's role taken away a
// moment before, say); the room's members see what the fold did.

// rule writes a settings, role, invite, kick, ban or mute of a room, once
// the room exists and the rules allow it; answered by an ack at its
// cursor. Rule ops are rate-limited with sends, in the same bucket: they
// are writes of a user into a room, like messages. c.mu held.
func (c *conn) rule(f *protocol.ClientFrame) error {
	if !c.allowSend() {
		return protocol.Errorf(protocol.CodeRateLimited, "too many messages and room changes: at most %g per second", c.srv.cfg.SendRate)
	}
	e := codec.NewEvent(codec.EventType(f.Op), f.Room, c.User())
	e.Session, e.Server = c.Session(), c.srv.instance
	if f.Op != "settings" {
		e.Target = f.User
	}
	switch e.Type {
	case codec.Settings:
		e.Private, e.Topic = f.Private, f.Topic
	case codec.Role:
		e.Role = f.Role
	case codec.Ban, codec.Mute:
		e.On = *f.On
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.ReadTimeout)
	defer cancel()
	row, err := c.srv.currentRow(ctx, f.Room)
	if err != nil {
		return err
	}
	if row.Cursor < 0 {
		return protocol.Errorf(protocol.CodeNotFound, "no room %s", f.Room)
	}
	if err := processors.Check(row, &e); err != nil {
		return protocol.Errorf(protocol.CodeForbidden, "%s", refusal(err))
	}
	return c.writeAck(e, f.Ref)
}

// writeAck writes e and acks it at its cursor with ref. c.mu held.
func (c *conn) writeAck(e codec.Event, ref json.RawMessage) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.WriteTimeout)
	defer cancel()
	offs, err := c.srv.write(ctx, e)
	if err != nil {
		return err
	}
	c.EnqueueAlways(protocol.MustJSON(protocol.AckFrame{Op: "ack", Ref: ref, Room: e.Room, Cursor: offs[0]}))
	return nil
}

// currentRow returns the server's current view of the room's row: at least
// up to the last event its tail passed. A room without events has cursor -1.
func (s *Server) currentRow(ctx context.Context, room string) (*codec.RoomState, error) {
	_, last := s.hub.Seen(room)
	return s.roomAt(ctx, room, last)
}

// mayWrite answers forbidden when the user is muted or banned in the room,
// as far as the hub's copy of the room knows; a member's room always has
// one while the member follows it.
func (s *Server) mayWrite(room, user string) error {
	var refused error
	probe := codec.Event{Type: codec.Message, Room: room, User: user}
	s.hub.Copy(room, func(r fanout.Room) { refused = processors.Check(r.Row(), &probe) })
	if refused != nil {
		return protocol.Errorf(protocol.CodeForbidden, "%s", refusal(refused))
	}
	return nil
}

// joinDenied returns why the rules of row refuse user's join (a direct
// join when target is set), or nil.
func joinDenied(row *codec.RoomState, user, target string) error {
	e := codec.Event{Type: codec.Join, Room: row.Room, User: user, Target: target}
	return processors.Check(row, &e)
}

// refusal is the message of a refusal as clients are told it.
func refusal(err error) string {
	if errors.Is(err, processors.ErrRefused) {
		return strings.TrimPrefix(err.Error(), processors.ErrRefused.Error()+": ")
	}
	return err.Error()
}
