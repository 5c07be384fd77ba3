package client

import (
	"context"
	"fmt"
)

// pending is a request waiting for its answer, by ref.
type pending struct {
	kind string // "join", or the op of a room's request ("send", "leave", …)
	room *Room
	ch   chan result // nil for joins, which their room tracks
}

type result struct {
	cursor int64
	err    error
}

func (p *pending) answer(cursor int64, err error) {
	if p.ch != nil {
		p.ch <- result{cursor, err}
	}
}

// Join joins room and returns it once its snapshot came. With a position
// in the Store for the room, the join resumes from it: the events missed
// since come first in Updates, as after a reconnect. Joining a room
// already joined returns that Room. While the client reconnects, Join
// waits for the connection. Errors: the server's *Error (ErrForbidden,
// ErrRateLimited, ErrUnavailable, ErrBadRequest for an invalid name, …),
// ErrClosed, or ctx's error; the room is then not joined. ctx without a
// deadline gets Options.RequestTimeout.
func (c *Client) Join(ctx context.Context, room string, opts JoinOptions) (*Room, error) {
	if opts.History <= 0 {
		opts.History = c.opts.History
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	c.mu.Lock()
	if c.state == Closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	r := c.rooms[room]
	if r != nil && r.leaving {
		// Its leave is under way: that room is done with; a new one
		// starts from fresh history.
		r.endLocked(nil)
		r = nil
	}
	var cn *conn
	var f joinFrame
	if r == nil {
		r = &Room{c: c, name: room, history: opts.History, cursor: -1,
			out: make(chan Update), wake: make(chan struct{}, 1), joined: make(chan struct{}),
			members: make(map[string]int)}
		if pos, ok := c.opts.Store.Load(room); ok {
			r.resume, r.cursor, r.epoch = true, pos.Cursor, pos.Epoch
		}
		c.rooms[room] = r
		c.wg.Add(1)
		go r.pump()
		if c.conn != nil {
			cn, f = c.conn, c.joinFrameLocked(r)
		}
	}
	c.mu.Unlock()
	if cn != nil {
		_ = cn.write(f)
	}
	select {
	case <-r.joined:
	case <-ctx.Done():
		c.mu.Lock()
		joined := r.synced
		if !joined {
			r.endLocked(fmt.Errorf("client: join %s: %w", room, ctx.Err()))
		}
		c.mu.Unlock()
		if !joined {
			// The join may still be done on the server: undo it.
			c.writeBestEffort(roomFrame{Op: "leave", Room: room})
			return nil, r.Err()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !r.synced {
		return nil, r.err
	}
	if !r.resume {
		c.opts.Store.Save(room, Position{Epoch: r.snap.Epoch, Cursor: r.snap.Cursor})
	}
	return r, nil
}

// bound gives ctx the RequestTimeout when it has no deadline.
func (c *Client) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.opts.RequestTimeout)
}

func (c *Client) writeBestEffort(f any) {
	c.mu.Lock()
	cn := c.conn
	c.mu.Unlock()
	if cn != nil {
		_ = cn.write(f)
	}
}

// request sends f, a request of r (send, leave, read, edit, delete,
// react), once r is joined on a live connection, and waits for its answer.
func (c *Client) request(ctx context.Context, r *Room, f roomFrame) (int64, error) {
	op := f.Op
	ctx, cancel := c.bound(ctx)
	defer cancel()
	for {
		c.mu.Lock()
		if c.state == Closed {
			c.mu.Unlock()
			return 0, ErrClosed
		}
		if r.ended || (op != "leave" && r.leaving) {
			c.mu.Unlock()
			return 0, ErrLeft
		}
		if op == "leave" && (c.conn == nil || (r.stale && r.joinRef == 0)) {
			// No membership of this session on the server now.
			r.leaving = true
			r.endLocked(nil)
			c.mu.Unlock()
			return 0, nil
		}
		if c.conn != nil && r.synced && !r.stale && r.joinRef == 0 {
			ref := c.nextRefLocked()
			p := &pending{kind: op, room: r, ch: make(chan result, 1)}
			c.pending[ref] = p
			if op == "leave" {
				r.leaving = true
			}
			cn := c.conn
			c.mu.Unlock()
			// A failed write closes the connection; the loss answers p.
			f.Room, f.Ref = r.name, ref
			_ = cn.write(f)
			select {
			case res := <-p.ch:
				return res.cursor, res.err
			case <-ctx.Done():
				c.mu.Lock()
				delete(c.pending, ref)
				c.mu.Unlock()
				return 0, fmt.Errorf("client: %s to %s: no answer: %w", op, r.name, ctx.Err())
			}
		}
		wait := c.changed
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return 0, fmt.Errorf("client: %s to %s: not joined: %w", op, r.name, ctx.Err())
		}
	}
}
