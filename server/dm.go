package server

import (
	"context"
	"slices"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/protocol"
)

// dm opens the direct room of the connection's user and another
// (codec.DMRoom): a join of it that names the other as its target, which
// creates the room, private to the two, on its first write; answered by
// the room's snapshot like a join. While the other has never joined the
// room nor been told of it, an invite of the other follows, whose event
// every server's tail hands to the other's sessions as an invited frame.
// c.mu held.
func (c *conn) dm(f *protocol.ClientFrame) error {
	other := f.User
	if other == c.User() {
		return protocol.Errorf(protocol.CodeBadRequest, "a direct room is of two users: %s is you", other)
	}
	room := codec.DMRoom(c.User(), other)
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.ReadTimeout)
	defer cancel()
	if !c.srv.Ready() {
		return protocol.Errorf(protocol.CodeUnavailable, "not ready: %s", c.srv.notReadyReason())
	}
	row, err := c.srv.currentRow(ctx, room)
	if err != nil {
		return err
	}
	invite := row.Reads[other] == nil && !slices.Contains(row.Invited, other)
	if _, err := c.joinRoom(&protocol.ClientFrame{Op: "join", Room: room, Ref: f.Ref}, other); err != nil {
		return err
	}
	if !invite {
		return nil
	}
	e := c.event(codec.Invite, room)
	e.Session = ""
	e.Target = other
	wctx, wcancel := context.WithTimeout(context.Background(), c.srv.cfg.WriteTimeout)
	defer wcancel()
	_, err = c.srv.write(wctx, e)
	return err
}
