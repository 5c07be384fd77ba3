package transport

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gorilla/websocket"
)

// Requests are what a connection's read loop hands the frames it reads to:
// its owner, which answers them through the connection's queue.
type Requests interface {
	// Request handles one text frame. It runs on a goroutine of its own,
	// one at a time, in the order the frames came; a panic in it is
	// contained (see Isolate) and ends the read loop. data is the caller's.
	Request(data []byte)
	// NotText is told of a data frame that is not text, on the read loop.
	NotText()
}

// ReadLoop reads frames and hands them to reqs one at a time until the
// socket closes: the connection's read loop, to be run once, on a goroutine
// that may block. It answers pongs by pushing the read deadline on by two
// PingIntervals, closes with 1009 a frame larger than MaxFrameBytes, and
// answers a client's close through the write loop.
func (c *Conn) ReadLoop(reqs Requests) {
	max := int64(c.cfg.MaxFrameBytes)
	extend := func() { _ = c.ws.SetReadDeadline(time.Now().Add(2 * c.cfg.PingInterval)) }
	extend()
	c.ws.SetPongHandler(func(string) error { extend(); return nil })
	// The close that answers the client's goes through the write loop, like
	// every frame but gorilla's pongs: written from here, it could overtake
	// the frames of a batch being written, or be followed by data frames.
	c.ws.SetCloseHandler(func(code int, _ string) error {
		c.Close(code, "")
		return nil
	})
	for {
		mt, r, err := c.ws.NextReader()
		if err != nil {
			// A deadline that passes while the connection is not closing
			// is the one extend sets: the client went silent.
			if ne, ok := err.(net.Error); ok && ne.Timeout() && !c.IsClosing() {
				c.cfg.Logger.Info("client dropped", "user", c.user, "session", c.session,
					"reason", "no pong within two ping intervals")
			}
			return
		}
		data, err := io.ReadAll(io.LimitReader(r, max+1))
		if err != nil {
			return
		}
		if int64(len(data)) > max {
			c.Close(websocket.CloseMessageTooBig, fmt.Sprintf("frame exceeds the limit of %d bytes", max))
			c.drain()
			return
		}
		extend()
		if c.IsClosing() {
			continue // the close handshake is under way: ignore requests
		}
		if mt != websocket.TextMessage {
			reqs.NotText()
			continue
		}
		if c.request(reqs, data) {
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
func (c *Conn) request(reqs Requests, data []byte) (panicked bool) {
	done := make(chan bool, 1)
	run := func() { done <- c.Isolate("request", func() { reqs.Request(data) }) }
	if !c.cfg.start(run) {
		run() // the owner has stopped: handled here, deep stack and all
	}
	return <-done
}

// drain reads and discards until the client answers the close or the
// deadline set by the write loop passes.
func (c *Conn) drain() {
	for {
		if _, _, err := c.ws.NextReader(); err != nil {
			return
		}
	}
}

// CloseSocket closes the network connection at once, without a close
// frame: the end of a connection, once WriterDone is closed, or of one
// whose loops never started.
func (c *Conn) CloseSocket() { _ = c.ws.Close() }

// Refuse writes a close frame of code and reason at once and closes the
// socket: for a connection whose loops never started (a server shutting
// down as it upgraded).
func (c *Conn) Refuse(code int, reason string) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(c.cfg.WriteTimeout))
	_ = c.ws.Close()
}
