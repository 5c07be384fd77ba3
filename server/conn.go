package server

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// conn is one WebSocket connection: one session of one user.
//
// Three goroutines touch it: the read loop (serve), which handles requests
// one at a time under mu; the write loop, the only writer of data frames;
// and the tail, which queues event frames through subscriptions.
type conn struct {
	srv     *Server
	ws      *websocket.Conn
	user    string
	session string
	limiter *rate.Limiter

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
	qmu         sync.Mutex
	queue       [][]byte
	closing     bool
	closeCode   int
	closeReason string
	wake        chan struct{} // capacity 1: the write loop has something to do
	writerDone  chan struct{}
}

// enqueue queues one frame for the write loop. A full queue means the client
// does not read fast enough: it is disconnected with 4008 rather than
// slowing down anyone else.
func (c *conn) enqueue(frame []byte) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.closing {
		return
	}
	if len(c.queue) >= c.srv.cfg.QueueSize {
		c.srv.metrics.slowClients.Inc()
		c.closeLocked(CloseSlowClient, "client too slow: its queue is full")
		return
	}
	c.queue = append(c.queue, frame)
	c.signal()
	c.srv.metrics.deliveries.Inc()
}

// enqueueAlways queues a frame that answers a request; such frames are
// bounded by the requests a client makes, not by the room's traffic.
func (c *conn) enqueueAlways(frame []byte) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if !c.closing {
		c.queue = append(c.queue, frame)
		c.signal()
	}
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
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
	c.queue = nil
	c.signal()
}

func (c *conn) closeSlow() { c.close(CloseSlowClient, "client too slow: its queue is full") }

// writeLoop writes queued frames and pings until the connection closes.
func (c *conn) writeLoop() {
	defer close(c.writerDone)
	ping := time.NewTicker(c.srv.cfg.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-c.wake:
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.srv.cfg.WriteTimeout)); err != nil {
				c.abort()
				return
			}
			continue
		}
		c.qmu.Lock()
		batch, closing, code, reason := c.queue, c.closing, c.closeCode, c.closeReason
		c.queue = nil
		c.qmu.Unlock()
		for _, frame := range batch {
			_ = c.ws.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
			if err := c.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
				c.abort()
				return
			}
		}
		if closing && code == 0 {
			return // the client closed first; gorilla answered its close
		}
		if closing {
			msg := websocket.FormatCloseMessage(code, reason)
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.srv.cfg.WriteTimeout))
			// Give the client a moment to answer the close, then the read
			// loop ends and the socket is closed.
			_ = c.ws.SetReadDeadline(time.Now().Add(2 * time.Second))
			return
		}
	}
}

// abort gives up on a connection whose socket failed.
func (c *conn) abort() {
	c.qmu.Lock()
	c.closing = true
	c.queue = nil
	c.qmu.Unlock()
	_ = c.ws.SetReadDeadline(time.Now())
}

// readLoop reads frames and handles them one at a time until the socket
// closes, then cleans up.
func (c *conn) readLoop() {
	max := int64(c.srv.cfg.MaxFrameBytes)
	extend := func() { _ = c.ws.SetReadDeadline(time.Now().Add(2 * c.srv.cfg.PingInterval)) }
	extend()
	c.ws.SetPongHandler(func(string) error { extend(); return nil })
	for {
		mt, r, err := c.ws.NextReader()
		if err != nil {
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
			c.sendError(errorf(CodeBadRequest, "frames are JSON text"), nil)
			continue
		}
		if c.isolate("request", func() { c.handle(data) }) {
			c.drain()
			return
		}
	}
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
