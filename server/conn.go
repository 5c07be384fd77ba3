package server

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/chatstate/chatstate/server/protocol"
	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// conn is one WebSocket connection: one session of one user.
//
// Its goroutines: the read loop (serve), which handles requests one at a
// time under mu; the write loop, the only writer of data frames, which runs
// only while there is something to write (an idle connection costs one
// goroutine, not two); the tail, which queues event frames through
// subscriptions; and the ping timer's, which queues a ping.
type conn struct {
	srv *Server
	ws  *websocket.Conn
	// out is ws's network connection: the write loop frames what is queued
	// into it and flushes each batch with one write.
	out     *bufConn
	user    string
	session string
	limiter *rate.Limiter // sends
	joins   *rate.Limiter // joins and leaves

	// mu serializes requests with the final cleanup. Lock order: mu before
	// any hub or queue lock.
	mu    sync.Mutex
	rooms map[string]*subscription
	// leaving holds the subscriptions of rooms left but whose own leave the
	// tail has not delivered yet.
	leaving map[string]*subscription
	done    bool // cleanup ran: no more requests, no more leaves

	// The outbound queue. qmu is taken under hub and subscription locks, so
	// nothing here may take them.
	qmu   sync.Mutex
	queue [][]byte
	// qbytes are the bytes of the frames in queue.
	qbytes int
	// spare is the slice of the last batch written, emptied; taking the
	// next batch leaves it as the queue, so that a busy connection fills two
	// slices in turn instead of growing a new one per batch.
	spare [][]byte
	// writing: a write loop runs, or ran its last batch and will not start
	// again (after closing). enqueue starts one when it is not set.
	writing     bool
	pingDue     bool        // the ping timer fired: the write loop sends a ping
	ping        *time.Timer // the next ping; nil on connections that do not ping
	closing     bool
	closeCode   int
	closeReason string
	writerDone  chan struct{} // closed when the last write loop ended
}

// enqueue queues one frame for the write loop and reports whether it did. A
// full queue (QueueSize frames, or QueueBytes bytes) means the client does
// not read fast enough: it is disconnected with 4008 rather than slowing
// down anyone else.
func (c *conn) enqueue(frame []byte) bool {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.closing {
		return false
	}
	if len(c.queue) >= c.srv.cfg.QueueSize {
		c.slowLocked("client too slow: its queue is full")
		return false
	}
	return c.queueLocked(frame)
}

// enqueueAlways queues a frame that answers a request, whatever the count
// of frames queued, as a request is answered once; but the answers count in
// the queue's bytes, so that a client that asks and does not read cannot
// make the server hold more than QueueBytes for it.
func (c *conn) enqueueAlways(frame []byte) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if !c.closing {
		c.queueLocked(frame)
	}
}

// queueLocked queues frame unless the queue holds QueueBytes already; then
// it closes the connection with 4008. Below the bound a frame is taken
// whatever its size, so the queue holds at most QueueBytes plus one frame,
// and one large answer (a snapshot with its history) always fits. qmu
// held, not closing.
func (c *conn) queueLocked(frame []byte) bool {
	if c.qbytes >= c.srv.cfg.QueueBytes {
		c.slowLocked(fmt.Sprintf("client too slow: more than %d bytes queued", c.srv.cfg.QueueBytes))
		return false
	}
	c.queue = append(c.queue, frame)
	c.qbytes += len(frame)
	c.startWriterLocked()
	return true
}

// slowLocked closes a client too slow to read its queue. qmu held.
func (c *conn) slowLocked(reason string) {
	c.srv.metrics.SlowClients.Inc()
	c.closeLocked(protocol.CloseSlowClient, reason)
}

// startWriterLocked starts the write loop unless one runs: at most one runs
// at a time, so frames go out in the order they were queued. qmu held.
func (c *conn) startWriterLocked() {
	if !c.writing {
		c.writing = true
		go c.runWriter()
	}
}

func (c *conn) runWriter() { c.isolate("writer", c.writeLoop) }

// startPings makes the connection send a ping every PingInterval.
func (c *conn) startPings() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if !c.closing {
		c.ping = time.AfterFunc(c.srv.cfg.PingInterval, c.pingTick)
	}
}

// pingTick has the write loop send a ping, with the frames queued by then,
// and arms the next one. A timer costs an idle connection far less than a
// goroutine waiting on a ticker.
func (c *conn) pingTick() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.closing {
		return
	}
	// The queue's slice outlives the write loops, so that a busy connection
	// does not grow a new one per burst; a connection with nothing queued
	// since the last ping hands it back.
	if !c.writing && len(c.queue) == 0 {
		c.queue = nil
	}
	c.pingDue = true
	c.startWriterLocked()
	c.ping.Reset(c.srv.cfg.PingInterval)
}

// close starts closing the connection with code and reason: the write loop
// drops what is queued, writes the close frame and stops. Code 0 stops the
// write loop without a close frame. Idempotent: the first call wins.
func (c *conn) close(code int, reason string) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	c.closeLocked(code, reason)
}

func (c *conn) closeLocked(code int, reason string) {
	if c.closing {
		return
	}
	c.closing, c.closeCode, c.closeReason = true, code, reason
	c.srv.metrics.QueueDrops.Add(float64(len(c.queue)))
	if reason != "" && code != websocket.CloseGoingAway {
		// The server drops the client (slow, oversized frame, internal
		// error); a shutdown's 1001 is logged once, by goodbye.
		c.srv.cfg.Logger.Info("client dropped", "user", c.user, "session", c.session, "code", code, "reason", reason)
	}
	c.queue, c.spare, c.qbytes = nil, nil, 0
	c.startWriterLocked()
}

func (c *conn) closeSlow() { c.close(protocol.CloseSlowClient, "client too slow: its queue is full") }

// takeLocked returns the queued frames and leaves the spare slice, empty, as
// the queue. qmu held.
func (c *conn) takeLocked() [][]byte {
	batch := c.queue
	c.queue, c.spare = c.spare, nil
	c.qbytes = 0
	return batch
}

// recycleLocked keeps the slice of a written batch as the spare, its
// frames dropped so that they can be collected. qmu held.
func (c *conn) recycleLocked(batch [][]byte) {
	if batch == nil || c.closing {
		return
	}
	clear(batch)
	c.spare = batch[:0]
}

// writeLoop writes what is queued, a batch per write on the socket, until
// the queue is empty, and then ends; enqueue starts the next one. Once the
// connection is closing, it writes the close frame, if any, and ends the
// connection's writes for good.
func (c *conn) writeLoop() {
	// Every way out but an empty queue ends the writes, a panic included:
	// then writerDone is closed and no write loop starts again.
	last := true
	defer func() {
		if last {
			c.endWrites()
		}
	}()
	var batch [][]byte
	for {
		c.qmu.Lock()
		c.recycleLocked(batch)
		batch = c.takeLocked()
		ping, closing, code, reason := c.pingDue, c.closing, c.closeCode, c.closeReason
		c.pingDue = false
		if len(batch) == 0 && !ping && !closing {
			c.writing = false
			c.qmu.Unlock()
			last = false
			return
		}
		c.qmu.Unlock()
		if len(batch) > 0 || ping {
			c.out.bufferFrames(opText, batch)
			if ping {
				c.out.bufferFrames(opPing, [][]byte{nil})
			}
			if err := c.out.flush(time.Now().Add(c.srv.cfg.WriteTimeout)); err != nil {
				// The socket failed: let the read loop end now, closing
				// first, so that it does not take the deadline for a
				// missing pong.
				c.srv.cfg.Logger.Info("client dropped", "user", c.user, "session", c.session, "reason", "write failed", "err", err)
				c.close(0, "")
				_ = c.ws.SetReadDeadline(time.Now())
				return
			}
		}
		if closing {
			if code != 0 {
				msg := websocket.FormatCloseMessage(code, reason)
				_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.srv.cfg.WriteTimeout))
				// Give the client a moment to answer the close, then the
				// read loop ends and the socket is closed.
				_ = c.ws.SetReadDeadline(time.Now().Add(2 * time.Second))
			}
			return
		}
	}
}

// endWrites ends the connection's writes for good: nothing more is queued,
// no write loop starts again (writing stays set) and the waits on writerDone
// return. The last write loop calls it.
func (c *conn) endWrites() {
	c.qmu.Lock()
	c.closing = true
	c.queue, c.spare = nil, nil
	if c.ping != nil {
		c.ping.Stop()
	}
	c.qmu.Unlock()
	close(c.writerDone)
}

// serve runs the connection after the upgrade, in a goroutine of its own
// rather than the HTTP handler's: once the handler returns, net/http's
// buffers of the connection and the handler's stack are freed. It reads until
// the socket closes, cleans up, waits for the last write and releases the
// connection. Panics are contained per step, so that the connection is
// always released.
func (c *conn) serve(addr string) {
	s := c.srv
	c.isolate("reader", c.readLoop)
	c.isolate("cleanup", c.cleanup)
	c.close(0, "")
	<-c.writerDone
	_ = c.ws.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.metrics.Connections.Dec()
	s.limits.release(c.user, addr)
}

// readLoop reads frames and handles them one at a time until the socket
// closes.
func (c *conn) readLoop() {
	max := int64(c.srv.cfg.MaxFrameBytes)
	extend := func() { _ = c.ws.SetReadDeadline(time.Now().Add(2 * c.srv.cfg.PingInterval)) }
	extend()
	c.ws.SetPongHandler(func(string) error { extend(); return nil })
	// The close that answers the client's goes through the write loop, like
	// every frame but gorilla's pongs: written from here, it could overtake
	// the frames of a batch being written, or be followed by data frames.
	c.ws.SetCloseHandler(func(code int, _ string) error {
		c.close(code, "")
		return nil
	})
	for {
		mt, r, err := c.ws.NextReader()
		if err != nil {
			// A deadline that passes while the connection is not closing
			// is the one extend sets: the client went silent.
			if ne, ok := err.(net.Error); ok && ne.Timeout() && !c.isClosing() {
				c.srv.cfg.Logger.Info("client dropped", "user", c.user, "session", c.session,
					"reason", "no pong within two ping intervals")
			}
			return
		}
		data, err := io.ReadAll(io.LimitReader(r, max+1))
		if err != nil {
			return
		}
		if int64(len(data)) > max {
			c.close(websocket.CloseMessageTooBig, fmt.Sprintf("frame exceeds the limit of %d bytes", max))
			c.drain()
			return
		}
		extend()
		if c.isClosing() {
			continue // the close handshake is under way: ignore requests
		}
		if mt != websocket.TextMessage {
			c.sendError(protocol.Errorf(protocol.CodeBadRequest, "frames are JSON text"), nil)
			continue
		}
		if c.request(data) {
			c.drain()
			return
		}
	}
}

// request handles one frame on a goroutine of its own and waits for it,
// reporting whether it panicked. The read loop's goroutine lives as long as
// the connection and mostly waits in a read, while a join's snapshot needs a
// deep stack: grown in the read loop, that stack would stay with the idle
// connection (the runtime shrinks a stack by half per GC, and an idle server
// seldom collects). A request's goroutine gives its stack back as it ends:
// 5,000 idle connections held 24 MB of stacks after their joins instead of
// 27 to 30 MB, about the 4 KB that gorilla's read path keeps each.
func (c *conn) request(data []byte) (panicked bool) {
	done := make(chan bool, 1)
	go func() { done <- c.isolate("request", func() { c.handle(data) }) }()
	return <-done
}

// drain reads and discards until the client answers the close or the
// deadline set by the write loop passes.
func (c *conn) drain() {
	for {
		if _, _, err := c.ws.NextReader(); err != nil {
			return
		}
	}
}

func (c *conn) isClosing() bool {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return c.closing
}
