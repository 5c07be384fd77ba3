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
	srv     *Server
	limiter *rate.Limiter // sends
	joins   *rate.Limiter // joins and leaves
	reads   *rate.Limiter // read markers: a bucket of their own, so that a page that marks as it reads keeps its sends

	// mu serializes requests with the final cleanup. Lock order: mu before
	// any hub or queue lock.
	mu    sync.Mutex
	rooms map[string]*fanout.Subscription
	// leaving holds the subscriptions of rooms left but whose own leave the
	// tail has not delivered yet.
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

// Request handles one request of the client (transport.Requests).
func (c *conn) Request(data []byte) { c.handle(data) }

// NotText answers a data frame that is not text (transport.Requests).
func (c *conn) NotText() {
	c.sendError(protocol.Errorf(protocol.CodeBadRequest, "frames are JSON text"), nil)
}

// serve runs the connection after the upgrade, in a goroutine of its own
// rather than the HTTP handler's: once the handler returns, net/http's
// buffers of the connection and the handler's stack are freed. It reads until
// the socket closes, cleans up, waits for the last write and releases the
// connection. Panics are contained per step, so that the connection is
// always released.
func (c *conn) serve(addr string) {
	c.Isolate("reader", func() { c.ReadLoop(c) })
	c.finish(addr)
}

// finish ends the session of a connection whose read loop has ended, or
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
