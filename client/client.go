package client

import (
	"context"
	"sync"
	"time"
)

// Client is one user's connection to a chatstate server that comes back by
// itself. Its methods are safe for concurrent use. Create it with Dial and
// end it with Close.
type Client struct {
	opts     Options
	endpoint string
	notify   *notifier
	ctx      context.Context // done once Close began
	cancel   context.CancelFunc
	wg       sync.WaitGroup // run and the rooms' pumps

	mu      sync.Mutex
	state   State
	conn    *conn // the live connection; nil while there is none
	hello   Hello
	rooms   map[string]*Room
	pending map[uint64]*pending
	seq     uint64
	// retryWake tells the live connection's keeper that a room's rejoin
	// was refused for now and is due again (Room.retryAt). Capacity 1.
	retryWake chan struct{}
	// changed is closed and replaced whenever something a waiting request
	// looks at changed: the connection, a room's join.
	changed chan struct{}
}

// Dial connects to the server and returns once it said hello. A first
// connection that fails is an error (an *Error with CodeUnauthorized for a
// refused identity); after that the client reconnects by itself until
// Close. ctx bounds Dial only.
func Dial(ctx context.Context, opts Options) (*Client, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	endpoint, err := opts.endpoint()
	if err != nil {
		return nil, err
	}
	c := &Client{
		opts:      opts,
		endpoint:  endpoint,
		rooms:     make(map[string]*Room),
		pending:   make(map[uint64]*pending),
		changed:   make(chan struct{}),
		retryWake: make(chan struct{}, 1),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, c.cancel)
	cn, err := c.dial(c.ctx)
	stop()
	if err != nil {
		c.cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	c.notify = newNotifier(opts.OnState)
	c.notify.push(Connecting)
	c.setLive(cn)
	c.wg.Add(1)
	go c.run(cn)
	return c, nil
}

// State returns the connection's state now.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Hello returns the hello of the newest connection: the user the server
// knows the client as, its session (new with every connection), the
// server, and the log's epoch.
func (c *Client) Hello() Hello {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hello
}

// Room returns the room joined under name, or nil.
func (c *Client) Room(name string) *Room {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rooms[name]
}

// Close ends the client: the connection is closed (the server then writes
// the leaves of its memberships), pending requests return ErrClosed, every
// room's Updates channel is closed with what it had not handed over
// dropped. It returns once every goroutine of the client has ended and
// OnState was called with Closed. Close is idempotent and returns nil.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.state == Closed {
		c.mu.Unlock()
		c.wg.Wait()
		<-c.notify.done
		return nil
	}
	c.setStateLocked(Closed)
	cn := c.conn
	c.conn = nil
	c.cancel()
	for ref, p := range c.pending {
		delete(c.pending, ref)
		p.answer(0, ErrClosed)
	}
	for _, r := range c.rooms {
		r.endLocked(ErrClosed)
	}
	c.changedLocked()
	c.mu.Unlock()
	if cn != nil {
		cn.close()
	}
	c.wg.Wait()
	<-c.notify.done
	return nil
}

func (c *Client) setStateLocked(s State) {
	if c.state == s {
		return
	}
	c.state = s
	c.notify.push(s)
}

func (c *Client) changedLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *Client) nextRefLocked() uint64 {
	c.seq++
	return c.seq
}

// setLive makes cn the client's connection and sends the join of every
// room that needs one. It returns false, taking nothing, when the client
// closed meanwhile.
func (c *Client) setLive(cn *conn) bool {
	c.mu.Lock()
	if c.state == Closed {
		c.mu.Unlock()
		return false
	}
	c.conn = cn
	c.hello = cn.hello
	c.setStateLocked(Live)
	var joins []joinFrame
	for _, r := range c.rooms {
		if r.joinRef == 0 && (r.stale || !r.synced) {
			joins = append(joins, c.joinFrameLocked(r))
		}
	}
	c.changedLocked()
	c.mu.Unlock()
	for _, f := range joins {
		if cn.write(f) != nil {
			break
		}
	}
	return true
}

// lost forgets cn after its read loop ended. Requests waiting for an
// answer on it get ErrDisconnected; rooms being left are left (the server
// ends the memberships of a closed session); every other room waits for
// its rejoin. It returns false when the client is closed.
func (c *Client) lost(cn *conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == Closed {
		return false
	}
	if c.conn == cn {
		c.conn = nil
	}
	c.setStateLocked(Reconnecting)
	for ref, p := range c.pending {
		delete(c.pending, ref)
		if p.kind == "leave" {
			p.room.endLocked(nil)
			p.answer(0, nil)
			continue
		}
		p.answer(0, ErrDisconnected)
	}
	for _, r := range c.rooms {
		if r.leaving {
			r.endLocked(nil)
			continue
		}
		r.joinRef = 0
		r.stale = r.synced
	}
	c.changedLocked()
	return true
}

// joinFrameLocked is the join that (re)starts r's stream: a resume from
// its cursor once it has one, plain history before.
func (c *Client) joinFrameLocked(r *Room) joinFrame {
	r.joinRef = c.nextRefLocked()
	r.stale = false
	r.retryAt = time.Time{}
	f := joinFrame{Op: "join", Room: r.name, History: r.history, Ref: r.joinRef}
	if r.synced || r.resume {
		cur := r.cursor
		f.After, f.Epoch = &cur, r.epoch
	}
	c.pending[r.joinRef] = &pending{kind: "join", room: r}
	return f
}
