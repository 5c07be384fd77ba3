package transport

import (
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"github.com/gorilla/websocket"
)

// Requests are what a connection's reads hand the frames they read to: its
// owner, which answers them through the connection's queue.
type Requests interface {
	// Request handles one text message. Messages are handed over one at a
	// time, in the order they came; a panic in it is contained (see
	// Isolate) and closes the connection with 1011. data is the
	// caller's.
	Request(data []byte)
	// NotText is told of a data message that is not text, on the reader.
	NotText()
}

// Serve reads the client's frames and hands its messages to reqs until the
// socket closes or the client goes silent, and then calls end, once, on
// the goroutine that read last. To be called once, when the owner has
// queued its first frames.
//
// With cfg.Poller running and a TCP socket, Serve hands the socket to the
// poller and returns at once: an idle connection then costs no goroutine,
// and each frame is read by a goroutine started through cfg.Go when it
// comes. Otherwise Serve reads on the calling goroutine (readLoop) and
// calls end before it returns.
//
// The client is dropped when it stays silent (no frame, pong included) for
// two PingIntervals once StartPings was called; a message over
// MaxFrameBytes closes it with 1009, a frame the protocol does not allow
// with 1002. A client's close is answered through the write loop, and
// reading ends with it. Once the connection is closing, messages are read
// and dropped until the client's close comes or, two seconds after the
// server's close frame, reading ends anyway.
func (c *Conn) Serve(reqs Requests, end func()) {
	c.reqs, c.end = reqs, end
	c.lastRead.Store(time.Now().UnixNano())
	if p := c.cfg.Poller; p != nil && p.watch(c) {
		return
	}
	c.readLoop()
	end()
}

// readLoop reads frames on the calling goroutine, which it blocks, until
// reading ends: Serve's way where the poller cannot watch the socket. A
// panic in it is contained as Isolate contains one.
func (c *Conn) readLoop() {
	defer c.recovered("reader", nil)
	for c.readOne() {
	}
}

// readOne reads one frame and acts on it, and reports whether reading goes
// on. A frame that ends a message hands it to the owner.
func (c *Conn) readOne() bool {
	if c.stopRead.Load() {
		return false
	}
	h, err := readHeader(c.out.Conn, c.inMsg)
	if err != nil {
		return c.readFailed(err)
	}
	if h.op >= opClose {
		return c.control(h)
	}
	if h.op != opContinuation {
		c.msgOp = h.op
	}
	c.inMsg = !h.fin
	max := int64(c.cfg.MaxFrameBytes)
	closing := c.IsClosing()
	if !closing && int64(len(c.msg))+h.n > max {
		c.Close(websocket.CloseMessageTooBig, fmt.Sprintf("frame exceeds the limit of %d bytes", max))
		closing = true
	}
	if closing {
		// Closing: what the client still sends is read and dropped,
		// until its close comes or reading is ended.
		c.msg = nil
		if _, err := io.CopyN(io.Discard, c.out.Conn, h.n); err != nil {
			return c.readFailed(err)
		}
		c.lastRead.Store(time.Now().UnixNano())
		return true
	}
	start := len(c.msg)
	data := slices.Grow(c.msg, int(h.n))[:start+int(h.n)]
	if _, err := io.ReadFull(c.out.Conn, data[start:]); err != nil {
		return c.readFailed(err)
	}
	unmask(h.mask, data[start:])
	c.lastRead.Store(time.Now().UnixNano())
	if !h.fin {
		c.msg = data
		return true
	}
	c.msg = nil
	if c.msgOp != opText {
		c.reqs.NotText()
		return true
	}
	c.request(data)
	return true
}

// control acts on a control frame whose header is h, and reports whether
// reading goes on.
func (c *Conn) control(h header) bool {
	var buf [maxControlPayload]byte
	payload := buf[:h.n]
	if _, err := io.ReadFull(c.out.Conn, payload); err != nil {
		return c.readFailed(err)
	}
	unmask(h.mask, payload)
	c.lastRead.Store(time.Now().UnixNano())
	switch h.op {
	case opPing:
		// Answered at once, as gorilla answers, not behind the queue.
		if !c.IsClosing() {
			_ = c.out.control(opPong, payload, time.Now().Add(c.cfg.WriteTimeout))
		}
	case opClose:
		code, _, err := closeCode(payload)
		if err != nil {
			return c.readFailed(err)
		}
		// The answer goes through the write loop, like every frame but
		// the pongs: written from here, it could overtake the frames of a
		// batch being written, or be followed by data frames.
		c.Close(code, "")
		return false
	}
	return true
}

// readFailed ends reading after err: a protocol error closes the
// connection with 1002; a socket that closed, failed or was ended
// (endRead) just ends.
func (c *Conn) readFailed(err error) bool {
	if pe, ok := err.(protocolError); ok {
		reason := string(pe)
		if len(reason) > maxControlPayload-2 {
			reason = reason[:maxControlPayload-2]
		}
		c.Close(websocket.CloseProtocolError, reason)
	}
	return false
}

// request hands one text message to the owner and, on a panic in it,
// leaves the connection closing (Isolate). A poller's reader runs it
// itself, as it ends soon after. The read loop runs it on a goroutine of
// its own and waits: the loop's goroutine lives as long as the connection
// and mostly waits in a read, while a join's snapshot needs a deep stack,
// which grown in the loop would stay with the idle connection.
func (c *Conn) request(data []byte) {
	run := func() { c.Isolate("request", func() { c.reqs.Request(data) }) }
	if c.polled {
		run()
		return
	}
	done := make(chan struct{})
	if !c.cfg.start(func() { defer close(done); run() }) {
		run() // the owner has stopped: handled here, deep stack and all
		return
	}
	<-done
}

// endRead ends reading soon: a read under way returns, and a poller's
// connection is woken to end (shutting the socket's read side down makes it
// readable). Safe to call at any time, more than once.
func (c *Conn) endRead() {
	c.stopRead.Store(true)
	_ = c.out.Conn.SetReadDeadline(time.Unix(1, 0))
	if tc, ok := c.out.Conn.(*net.TCPConn); ok {
		_ = tc.CloseRead()
	}
}

// endReadAfter ends reading after d, unless it ended before.
func (c *Conn) endReadAfter(d time.Duration) { time.AfterFunc(d, c.endRead) }

// CloseSocket closes the network connection at once, without a close
// frame: the end of a connection, once WriterDone is closed, or of one
// whose reads never started.
func (c *Conn) CloseSocket() { _ = c.out.Close() }

// Refuse writes a close frame of code and reason at once and closes the
// socket: for a connection whose loops never started (a server shutting
// down as it upgraded).
func (c *Conn) Refuse(code int, reason string) {
	_ = c.out.control(opClose, websocket.FormatCloseMessage(code, reason), time.Now().Add(c.cfg.WriteTimeout))
	_ = c.out.Close()
}
