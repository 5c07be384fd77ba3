package server

import (
	"sync"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/fanout"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/chatstate/chatstate/server/transport"
	"golang.org/x/time/rate"
)

// conn is one session of one user: the protocol's requests (join, leave,
// send, read, ping) over one WebSocket connection, which it embeds, and the
// subscriptions of the rooms it joined.
//
// Its requests are handled one at a time (Request, under mu); the
// connection's own goroutines are the transport's.
type conn struct {
	*transport.Conn
	srv *Server
	// The rate limiters, each made at its first use (see allow): most
	// sessions never send or mark read, and an idle connection should not
	// carry three of them.
	limiter *rate.Limiter // sends
	joins   *rate.Limiter // joins and leaves
	reads   *rate.Limiter // read markers: a bucket of their own, so that a page that marks as it reads keeps its sends

	// mu serializes requests with the final cleanup. Lock order: mu before
	// any hub or queue lock.
	mu    sync.Mutex
	rooms map[string]*fanout.Subscription
	// leaving holds the subscriptions of rooms left but whose own leave the
	// tail has not delivered yet; nil until the first leave, as most
	// sessions never leave a room but by closing.
	leaving map[string]*fanout.Subscription
	done    bool // cleanup ran: no more requests, no more leaves
}

// Removed is told by the hub that a room's rules removed this session
// (its user was kicked or banned): the hub delivered the kick or ban and
// ended the subscription. The session's leave is owed, so that the users
// and servers tables, which the kick or ban does not touch (its presence
// records would depend on the row, not on the event alone), converge as
// after any leave. Under the hub's locks: it only owes the leave; the
// requests see the ended subscription (joined).
func (c *conn) Removed(room string) {
	c.srv.owed.add(c.event(codec.Leave, room))
}

// joined returns the subscription of a room the session is a member of, or
// nil; it forgets a subscription that a kick or ban ended. c.mu held.
func (c *conn) joined(room string) *fanout.Subscription {
	sub := c.rooms[room]
	if sub != nil && sub.Ended() {
		delete(c.rooms, room)
		return nil
	}
	return sub
}

// allow takes a token of the limiter *lim, made with rate r and burst
// when it is nil. A limiter starts with its full burst whenever it is
// made, so making it at its first use changes nothing it allows. c.mu
// held.
func (c *conn) allow(lim **rate.Limiter, r float64, burst int) bool {
	if *lim == nil {
		*lim = rate.NewLimiter(rate.Limit(r), burst)
	}
	return (*lim).Allow()
}

// allowSend takes a token of the sends' bucket, which messages, their
// changes and the rules' ops share. c.mu held.
func (c *conn) allowSend() bool {
	return c.allow(&c.limiter, c.srv.cfg.SendRate, c.srv.cfg.SendBurst)
}

// allowJoin takes a token of the joins' and leaves' bucket. c.mu held.
func (c *conn) allowJoin() bool {
	return c.allow(&c.joins, c.srv.cfg.JoinRate, c.srv.cfg.JoinBurst)
}

// allowRead takes a token of the read markers' bucket, which has the
// sends' rate and burst but is apart from theirs. c.mu held.
func (c *conn) allowRead() bool {
	return c.allow(&c.reads, c.srv.cfg.SendRate, c.srv.cfg.SendBurst)
}

// Request handles one request of the client (transport.Requests).
func (c *conn) Request(data []byte) { c.handle(data) }

// NotText answers a data frame that is not text (transport.Requests).
func (c *conn) NotText() {
	c.sendError(protocol.Errorf(protocol.CodeBadRequest, "frames are JSON text"), nil)
}

// serve runs the connection after the upgrade, in a goroutine of its own
// rather than the HTTP handler's: once the handler returns, net/http's
// buffers of the connection and the handler's stack are freed. The
// transport reads until the socket closes, on this goroutine or, where its
// poller watches the socket, on a goroutine per frame, and then finish
// cleans up, waits for the last write and releases the connection. Panics
// are contained per step (the reads contain their own), so that the
// connection is always released.
func (c *conn) serve(addr string) {
	c.Serve(c, func() { c.finish(addr) })
}

// finish ends the session of a connection whose reads have ended, or
// never started: its leaves owed, its socket closed, its slot released.
func (c *conn) finish(addr string) {
	s := c.srv
	c.Isolate("cleanup", c.cleanup)
	c.Close(0, "")
	<-c.WriterDone()
	c.CloseSocket()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.local.remove(c)
	s.metrics.Connections.Dec()
	s.limits.release(c.User(), addr)
}
