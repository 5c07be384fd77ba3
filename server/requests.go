package server

import (
	"context"
	"encoding/json"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/fanout"
	"github.com/chatstate/chatstate/server/protocol"
)

// handle answers one client frame. Read loop only.
func (c *conn) handle(data []byte) {
	f, e := protocol.DecodeClientFrame(data)
	if e != nil {
		c.sendError(e, f.Ref)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	var err error
	switch f.Op {
	case "join":
		err = c.join(f)
	case "leave":
		err = c.leave(f)
	case "send":
		err = c.send(f)
	case "read":
		err = c.read(f)
	case "edit", "delete", "react":
		err = c.change(f)
	case "settings", "role", "invite", "kick", "ban", "mute":
		err = c.rule(f)
	case "dm":
		err = c.dm(f)
	case "typing":
		err = c.typing(f)
	case "ping":
		c.EnqueueAlways(protocol.MustJSON(protocol.PongFrame{Op: "pong", Ref: f.Ref}))
	}
	if err != nil {
		c.sendError(protocol.AsError(err), f.Ref)
	}
}

func (c *conn) sendError(e *protocol.Error, ref json.RawMessage) {
	c.srv.metrics.Errors.WithLabelValues(e.Code).Inc()
	if e.Code == protocol.CodeInternal {
		c.srv.cfg.Logger.Error("request failed", "user", c.User(), "session", c.Session(), "err", e.Message)
		e = protocol.Errorf(protocol.CodeInternal, "internal error")
	}
	c.EnqueueAlways(protocol.MustJSON(protocol.ErrorFrame{Op: "error", Code: e.Code, Message: e.Message, Ref: ref}))
}

// event returns a new event of this connection's session.
func (c *conn) event(typ codec.EventType, room string) codec.Event {
	e := codec.NewEvent(typ, room, c.User())
	e.Session, e.Server = c.Session(), c.srv.instance
	return e
}

// leave writes the connection's leave of a joined room; the subscription
// delivers up to and including it, then ends. A leave that could not be
// written changes nothing. c.mu held.
func (c *conn) leave(f *protocol.ClientFrame) error {
	c.pruneLeaving()
	sub := c.joined(f.Room)
	if sub == nil {
		return protocol.Errorf(protocol.CodeNotMember, "not a member of room %s", f.Room)
	}
	if !c.allowJoin() {
		return protocol.Errorf(protocol.CodeRateLimited, "too many joins and leaves: at most %g per second", c.srv.cfg.JoinRate)
	}
	e := c.event(codec.Leave, f.Room)
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.WriteTimeout)
	defer cancel()
	c.srv.changed.note(codec.Held{Room: f.Room, Session: c.Session()}.Key())
	offs, err := c.srv.write(ctx, e)
	if err != nil {
		return err
	}
	delete(c.rooms, f.Room)
	if c.leaving == nil {
		c.leaving = map[string]*fanout.Subscription{}
	}
	c.leaving[f.Room] = sub
	if len(f.Ref) > 0 {
		c.EnqueueAlways(protocol.MustJSON(protocol.AckFrame{Op: "ack", Ref: f.Ref, Room: f.Room, Cursor: offs[0]}))
	}
	return nil
}

// send posts a message to a joined room and acks it once Kafka has it.
// c.mu held.
func (c *conn) send(f *protocol.ClientFrame) error {
	if c.joined(f.Room) == nil {
		return protocol.Errorf(protocol.CodeNotMember, "join room %s before sending to it", f.Room)
	}
	if !c.allowSend() {
		return protocol.Errorf(protocol.CodeRateLimited, "too many messages: at most %g per second", c.srv.cfg.SendRate)
	}
	if err := c.srv.mayWrite(f.Room, c.User()); err != nil {
		return err
	}
	e := c.event(codec.Message, f.Room)
	e.Text = *f.Text
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.WriteTimeout)
	defer cancel()
	c.srv.metrics.Sends.Inc()
	offs, err := c.srv.write(ctx, e)
	if err != nil {
		return err
	}
	// Counted before the client can see the ack.
	c.srv.metrics.Acks.Inc()
	c.EnqueueAlways(protocol.MustJSON(protocol.AckFrame{Op: "ack", Ref: f.Ref, Room: f.Room, Cursor: offs[0]}))
	return nil
}

// cleanup ends the session: it stops all delivery and owes the leaves of
// every joined room, which the server writes as soon as Kafka takes them.
// Idempotent.
func (c *conn) cleanup() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	c.done = true
	var leaves []codec.Event
	for room, sub := range c.rooms {
		if sub.Ended() {
			continue // kicked or banned: its leave is owed already (Removed)
		}
		c.srv.hub.Unsubscribe(sub)
		leaves = append(leaves, c.event(codec.Leave, room))
	}
	c.rooms = nil
	for _, sub := range c.leaving {
		c.srv.hub.Unsubscribe(sub)
	}
	c.leaving = nil
	if len(leaves) > 0 {
		c.srv.owed.add(leaves...)
	}
}
