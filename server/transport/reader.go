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
// answers a client's close through the write loop. A panic in it is
// contained as Isolate contains one.
//
// An idle connection's goroutine spends its life blocked in NextReader, so
// the frames under that call are what the connection's stack holds. The
// collector halves a stack only while less than a quarter of it is used,
// counting 800 bytes of guard: an 8 KiB stack (a goroutine's first stack
// is the average of those last scanned, and joins run deep) shrinks only
// if its blocked frames take less than 1,248 bytes. gorilla's read path
// takes about 960 of them, so ReadLoop keeps its own frame small and does
// everything but the wait in readFrame, and the connection's owner should
// call it with little above it. 500 idle read loops started on 8 KiB
// stacks held 3.3 MB of stacks after a collection, against 5.7 MB when
// ReadLoop's own frame was 296 bytes and ran under Isolate.
func (c *Conn) ReadLoop(reqs Requests) {
	defer c.recovered("reader", nil)
	c.startReading()
	for {
		mt, r, err := c.ws.NextReader()
		if !c.readFrame(reqs, mt, r, err) {
			return
		}
	}
}

// startReading sets the read deadline and the handlers of pongs and of
// the client's close.
//
//go:noinline
func (c *Conn) startReading() {
	c.extendRead()
	c.ws.SetPongHandler(func(string) error { c.extendRead(); return nil })
	// The close that answers the client's goes through the write loop, like
	// every frame but gorilla's pongs: written from here, it could overtake
	// the frames of a batch being written, or be followed by data frames.
	c.ws.SetCloseHandler(func(code int, _ string) error {
		c.Close(code, "")
		return nil
	})
}

// extendRead pushes the read deadline on by two PingIntervals.
func (c *Conn) extendRead() {
	_ = c.ws.SetReadDeadline(time.Now().Add(2 * c.cfg.PingInterval))
}

// readFrame reads the frame NextReader returned, of type mt from r or
// err, and hands it to reqs; it reports whether the read loop goes on. Not
// inlined, so that its frame is not part of ReadLoop's while that waits
// (see ReadLoop).
//
//go:noinline
func (c *Conn) readFrame(reqs Requests, mt int, r io.Reader, err error) bool {
	if err != nil {
		// A deadline that passes while the connection is not closing
		// is the one extendRead sets: the client went silent.
		if ne, ok := err.(net.Error); ok && ne.Timeout() && !c.IsClosing() {
			c.cfg.Logger.Info("client dropped", "user", c.user, "session", c.session,
				"reason", "no pong within two ping intervals")
		}
		return false
	}
	max := int64(c.cfg.MaxFrameBytes)
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return false
	}
	if int64(len(data)) > max {
		c.Close(websocket.CloseMessageTooBig, fmt.Sprintf("frame exceeds the limit of %d bytes", max))
		c.drain()
		return false
	}
	c.extendRead()
	if c.IsClosing() {
		return true // the close handshake is under way: ignore requests
	}
	if mt != websocket.TextMessage {
		reqs.NotText()
		return true
	}
	if c.request(reqs, data) {
		c.drain()
		return false
	}
	return true
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
