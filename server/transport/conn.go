package transport

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatstate/chatstate/server/protocol"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is what the connections of one server share: their bounds,
// timeouts, logger and metrics. It is read, never written, by the
// connections; it must not change once a connection uses it.
type Config struct {
	// QueueSize is how many frames may wait for a client before Enqueue
	// closes it with 4008.
	QueueSize int
	// QueueBytes bounds the bytes of the frames waiting for a client,
	// EnqueueAlways's included; over it, the client is closed with 4008.
	QueueBytes int
	// MaxFrameBytes is the largest frame a client may send; a larger one
	// closes the connection with 1009.
	MaxFrameBytes int
	// PingInterval is how often a connection that StartPings pings; one
	// that does not answer within another interval is dropped.
	PingInterval time.Duration
	// WriteTimeout bounds each write on the socket: a control frame's
	// within WriteTimeout, a batch's within one to one and a half (see
	// bufConn.flush).
	WriteTimeout time.Duration
	// Logger receives the connections' logs.
	Logger *slog.Logger
	// SlowClients counts the connections closed with 4008 because their
	// queue overflowed.
	SlowClients prometheus.Counter
	// QueueDrops counts the frames still queued when a connection closed.
	QueueDrops prometheus.Counter
	// CheckOrigin reports whether Upgrade accepts a request's Origin.
	CheckOrigin func(r *http.Request) bool
	// Refuse answers a handshake that Upgrade refuses, with its HTTP
	// status and why.
	Refuse func(w http.ResponseWriter, status int, reason error)
	// Go starts the connections' goroutines (write loops, requests) and
	// reports whether it did; it refuses once its owner has stopped (see
	// internal/routines). Nil means a plain go statement.
	Go func(fn func()) bool
	// Poller, running, watches the connections' sockets, so that an idle
	// connection costs no goroutine (see Serve). Nil means a read loop per
	// connection.
	Poller *Poller
	// Flusher, running, writes what the connections queue (see Flusher).
	// Nil, and for a socket it cannot write to without waiting (TLS), a
	// write loop is started per connection whenever something is queued.
	Flusher *Flusher
}

// start runs fn on a goroutine through cfg.Go, and reports whether it did.
func (cfg *Config) start(fn func()) bool {
	if cfg.Go == nil {
		go fn()
		return true
	}
	return cfg.Go(fn)
}

// Conn is one WebSocket connection with its bounded outbound queue. It knows
// nothing of what its frames mean: its owner queues frames and handles the
// messages read (Serve).
//
// Its goroutines: the reads (Serve), on a goroutine per frame started when
// the poller sees one come, or on one read loop where the poller cannot
// watch the socket; the writes of data frames, one batch at a time, by a
// worker of the flusher, or by a write loop of its own where the flusher
// cannot write (a socket that does not take the batch whole, a closing
// connection, no flusher), which runs only while there is something to
// write (an idle connection costs no goroutine); the goroutines that queue
// frames (Enqueue); and the ping timer's, which queues a ping. Its methods
// are safe for concurrent use.
type Conn struct {
	cfg *Config
	// out is the network connection: the reads read it, the writer (the
	// flusher or the write loop) frames what is queued into it and flushes
	// each batch with one write.
	out     *bufConn
	user    string
	session string

	// The read side (reader.go, poll.go). Reads run one at a time: on the
	// read loop, or on the one reader the poller started, which ends by
	// rearming the poller or by ending the connection.
	reqs     Requests
	end      func()
	polled   bool  // the poller watches the socket
	fd       int32 // the socket's descriptor, while the poller watches it
	armed    bool  // the socket waits in the poller for a frame; Poller.mu held
	inMsg    bool  // a fragmented message is under way
	msgOp    byte  // its opcode
	msg      []byte
	lastRead atomic.Int64 // when the last frame was read, in Unix nanoseconds
	stopRead atomic.Bool  // endRead was called

	// The outbound queue. qmu is taken under the fan-out's hub and
	// subscription locks, so nothing here may take them.
	qmu   sync.Mutex
	queue [][]byte
	// qbytes are the bytes of the frames in queue.
	qbytes int
	// spare is the slice of the last batch written, emptied; taking the
	// next batch leaves it as the queue, so that a busy connection fills two
	// slices in turn instead of growing a new one per batch.
	spare [][]byte
	// writing: the flusher holds the connection or a write loop runs, or
	// the last write loop ran and none will start again (after closing).
	// Enqueue hands the connection to the flusher, or starts a write loop,
	// when it is not set.
	writing bool
	// held: the flusher holds the connection's frames queued with
	// EnqueueLater for a while (Flusher.hold); it releases them within its
	// delay, unless a writer takes them first.
	held        bool
	pingDue     bool        // the ping timer fired: the write loop sends a ping
	ping        *time.Timer // the next ping or liveness check; nil on connections that do not ping
	nextPing    int64       // when the next ping is due, in Unix nanoseconds
	closing     bool
	closeCode   int
	closeReason string
	writerDone  chan struct{} // closed when the last write loop ended
}

func newConn(cfg *Config, user, session string) *Conn {
	return &Conn{cfg: cfg, user: user, session: session, writerDone: make(chan struct{})}
}

// Detached returns a connection without a socket, whose frames stay queued
// until Take takes them: no write loop ever runs. It serves to measure and
// test what feeds connections' queues. Close does not end it: there is no
// write loop to end it.
func Detached(cfg *Config, user, session string) *Conn {
	c := newConn(cfg, user, session)
	c.writing = true
	return c
}

// User returns the user the connection speaks for, as given to Upgrade.
func (c *Conn) User() string { return c.user }

// Session returns the session id of the connection, as given to Upgrade.
func (c *Conn) Session() string { return c.session }

// Enqueue queues one frame for the write loop and reports whether it did.
// A full queue (QueueSize frames, or QueueBytes bytes) means the client
// does not read fast enough: it is closed with 4008 rather than slowing
// down anyone else. It never blocks on the socket; the caller may hold the
// fan-out's locks. frame must not be modified afterwards.
func (c *Conn) Enqueue(frame []byte) bool {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return c.admitLocked() && c.queueLocked(frame)
}

// admitLocked reports whether one more frame, not an answer, may be
// queued: not to a closing connection, nor past QueueSize frames, which
// closes the client with 4008. qmu held.
func (c *Conn) admitLocked() bool {
	if c.closing {
		return false
	}
	if len(c.queue) >= c.cfg.QueueSize {
		c.slowLocked("client too slow: its queue is full")
		return false
	}
	return true
}

// EnqueueAlways queues a frame that answers a request, whatever the count
// of frames queued, as a request is answered once; but the answers count in
// the queue's bytes, so that a client that asks and does not read cannot
// make the server hold more than QueueBytes for it. A closing connection
// drops it.
func (c *Conn) EnqueueAlways(frame []byte) {
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
func (c *Conn) queueLocked(frame []byte) bool {
	if !c.appendLocked(frame) {
		return false
	}
	c.startWriterLocked()
	return true
}

// appendLocked is queueLocked without starting a writer. qmu held, not
// closing.
func (c *Conn) appendLocked(frame []byte) bool {
	if c.qbytes >= c.cfg.QueueBytes {
		c.slowLocked(fmt.Sprintf("client too slow: more than %d bytes queued", c.cfg.QueueBytes))
		return false
	}
	c.queue = append(c.queue, frame)
	c.qbytes += len(frame)
	return true
}

// slowLocked closes a client too slow to read its queue. qmu held.
func (c *Conn) slowLocked(reason string) {
	c.cfg.SlowClients.Inc()
	c.closeLocked(protocol.CloseSlowClient, reason)
}

// startWriterLocked hands the connection to the flusher, or starts a write
// loop, unless one of them writes it already: one writes at a time, so
// frames go out in the order they were queued. qmu held.
func (c *Conn) startWriterLocked() {
	if !c.writing {
		c.writing = true
		if !c.closing && c.out.raw != nil && c.cfg.Flusher.add(c) {
			return
		}
		if !c.cfg.start(c.runWriter) {
			// The owner has stopped: its connections were closed and their
			// writes ended, so this one writes nothing more either.
			c.qbytes = 0
			c.endWritesLocked()
		}
	}
}

func (c *Conn) runWriter() { c.Isolate("writer", c.writeLoop) }

// StartPings makes the connection send a ping every PingInterval until it
// closes, and drop the client once it stayed silent for two intervals.
func (c *Conn) StartPings() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if !c.closing {
		c.nextPing = time.Now().Add(c.cfg.PingInterval).UnixNano()
		c.ping = time.AfterFunc(c.cfg.PingInterval, c.pingTick)
	}
}

// pingTick drops a client silent for two PingIntervals, has the write loop
// send a ping when one is due, with the frames queued by then, and arms
// the timer for the next ping or the silence's end, whichever comes first.
// A timer costs an idle connection far less than a goroutine waiting on a
// ticker, and no read waits with a deadline on a connection the poller
// watches.
func (c *Conn) pingTick() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.closing {
		return
	}
	now, last := time.Now().UnixNano(), c.lastRead.Load()
	silentUntil := last + int64(2*c.cfg.PingInterval)
	if last != 0 && now >= silentUntil { // last is 0 until reads start
		c.cfg.Logger.Info("client dropped", "user", c.user, "session", c.session,
			"reason", "no pong within two ping intervals")
		c.endRead()
		return
	}
	if now >= c.nextPing {
		// The queue's slice outlives the write loops, so that a busy
		// connection does not grow a new one per burst; a connection
		// with nothing queued since the last ping hands it back.
		if !c.writing && len(c.queue) == 0 {
			c.queue = nil
		}
		c.pingDue = true
		c.startWriterLocked()
		c.nextPing = now + int64(c.cfg.PingInterval)
	}
	next := c.nextPing
	if last != 0 {
		next = min(next, silentUntil)
	}
	c.ping.Reset(time.Duration(next - now))
}

// Close starts closing the connection with code and reason: the write loop
// drops what is queued, writes the close frame and stops. Code 0 stops the
// write loop without a close frame. Idempotent: the first call wins. It
// does not wait; WriterDone is closed once the writes have ended.
func (c *Conn) Close(code int, reason string) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	c.closeLocked(code, reason)
}

func (c *Conn) closeLocked(code int, reason string) {
	if c.closing {
		return
	}
	c.closing, c.closeCode, c.closeReason = true, code, reason
	c.cfg.QueueDrops.Add(float64(len(c.queue)))
	if reason != "" && code != websocket.CloseGoingAway {
		// The server drops the client (slow, oversized frame, internal
		// error); a shutdown's 1001 is logged once, by its owner.
		c.cfg.Logger.Info("client dropped", "user", c.user, "session", c.session, "code", code, "reason", reason)
	}
	c.queue, c.spare, c.qbytes = nil, nil, 0
	c.startWriterLocked()
}

// IsClosing reports whether Close was called, or the writes ended.
func (c *Conn) IsClosing() bool {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return c.closing
}

// WriterDone is closed once the connection's writes have ended for good:
// after Close, when the last write loop wrote the close frame, or when a
// write failed.
func (c *Conn) WriterDone() <-chan struct{} { return c.writerDone }

// Take takes what is queued, as the write loop takes a batch, and reports
// how many frames it took. Only for a Detached connection, whose queue no
// write loop reads.
func (c *Conn) Take() int {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	batch := c.takeLocked()
	c.recycleLocked(batch)
	return len(batch)
}

// takeLocked returns the queued frames and leaves the spare slice, empty, as
// the queue. qmu held.
func (c *Conn) takeLocked() [][]byte {
	batch := c.queue
	c.queue, c.spare = c.spare, nil
	c.qbytes = 0
	return batch
}

// recycleLocked keeps the slice of a written batch as the spare, its
// frames dropped so that they can be collected. qmu held.
func (c *Conn) recycleLocked(batch [][]byte) {
	if batch == nil || c.closing {
		return
	}
	clear(batch)
	c.spare = batch[:0]
}
