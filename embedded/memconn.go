package embedded

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// The broker's own process reaches it through in-memory connections
// (Broker.Dial): what a client writes is copied into the broker's side and
// read from there, with no socket, system call or network poller between
// them. On `chatstate dev` at 1,000 messages/s, the loopback TCP of the
// server's writes and its tail, and of the processors' and views' clients,
// cost about 5 % of the process's CPU (BENCHMARKS.md). The broker still
// listens on TCP for every other client.

// pipeLimit bounds what one direction of an in-memory connection holds
// unread: its writer waits for the reader beyond it, as a socket's writer
// waits for a full buffer to drain.
const pipeLimit = 1 << 20

// keepCap is the largest buffer a drained pipe keeps for its next writes.
const keepCap = 64 << 10

// pipe is one direction of an in-memory connection: the bytes written and
// not yet read. Its fields are guarded by mu; ready and space carry wakeups
// (a value in ready: something may be readable; in space: something may
// fit), and whoever waits on them looks again under mu.
type pipe struct {
	mu     sync.Mutex
	buf    []byte
	off    int  // buf[off:] is unread
	eof    bool // the writer closed: reads drain buf, then io.EOF
	broken bool // the reader closed: writes fail
	ready  chan struct{}
	space  chan struct{}
}

func newPipe() *pipe {
	return &pipe{ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

// wake leaves a wakeup in ch unless one is there already.
func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// memAddr is the address of an in-memory connection's end.
type memAddr string

// Network implements net.Addr.
func (a memAddr) Network() string { return "memory" }

// String implements net.Addr.
func (a memAddr) String() string { return string(a) }

// memConn is one end of an in-memory connection. It is a net.Conn: its
// methods are safe to call concurrently, deadlines fail a blocked or later
// call with os.ErrDeadlineExceeded, and after Close every call fails with
// net.ErrClosed while the other end reads what was written, then io.EOF,
// and fails to write with syscall.EPIPE.
type memConn struct {
	r, w          *pipe
	rd, wd        *deadline
	local, remote net.Addr
	done          chan struct{}
	closeOnce     sync.Once
	wmu           sync.Mutex // held by a Write throughout
}

// memPair returns the two ends of a new in-memory connection to addr.
func memPair(addr string) (client, server *memConn) {
	a, b := newPipe(), newPipe()
	client = &memConn{r: a, w: b, rd: newDeadline(), wd: newDeadline(),
		local: memAddr("memory"), remote: memAddr(addr), done: make(chan struct{})}
	server = &memConn{r: b, w: a, rd: newDeadline(), wd: newDeadline(),
		local: memAddr(addr), remote: memAddr("memory"), done: make(chan struct{})}
	return client, server
}

// Read implements net.Conn.
func (c *memConn) Read(b []byte) (int, error) {
	p := c.r
	for {
		select {
		case <-c.done:
			return 0, net.ErrClosed
		case <-c.rd.passed():
			return 0, os.ErrDeadlineExceeded
		default:
		}
		p.mu.Lock()
		if p.off < len(p.buf) {
			full := len(p.buf)-p.off >= pipeLimit
			n := copy(b, p.buf[p.off:])
			p.off += n
			more := p.off < len(p.buf)
			if !more {
				// Drained: keep the array for the next write, unless a
				// rare large one (a fetch of a lagging reader) grew it.
				p.buf, p.off = p.buf[:0], 0
				if cap(p.buf) > keepCap {
					p.buf = nil
				}
			}
			p.mu.Unlock()
			if full {
				wake(p.space)
			}
			if more {
				wake(p.ready) // for a concurrent reader
			}
			return n, nil
		}
		eof := p.eof
		p.mu.Unlock()
		if eof {
			return 0, io.EOF
		}
		if len(b) == 0 {
			return 0, nil
		}
		select {
		case <-p.ready:
		case <-c.rd.passed():
			return 0, os.ErrDeadlineExceeded
		case <-c.done:
			return 0, net.ErrClosed
		}
	}
}

// Write implements net.Conn. It returns once all of b is in the other
// end's buffer, or with the error that stopped it and how much was.
// Concurrent writes go one after the other, as a socket's do, so that the
// bytes of one are never split by another's.
func (c *memConn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	p := c.w
	n := 0
	for {
		select {
		case <-c.done:
			return n, net.ErrClosed
		case <-c.wd.passed():
			return n, os.ErrDeadlineExceeded
		default:
		}
		p.mu.Lock()
		if p.broken {
			p.mu.Unlock()
			return n, syscall.EPIPE
		}
		if room := pipeLimit - (len(p.buf) - p.off); room > 0 {
			k := min(room, len(b)-n)
			if p.off > 0 && len(p.buf)+k > cap(p.buf) {
				// Slide the unread bytes to the front rather than grow
				// the array under bytes already read: a pipe that never
				// drains whole (responses pipelined behind each other)
				// would otherwise grow without end.
				u := copy(p.buf, p.buf[p.off:])
				p.buf, p.off = p.buf[:u], 0
			}
			p.buf = append(p.buf, b[n:n+k]...)
			n += k
			p.mu.Unlock()
			wake(p.ready)
			if n == len(b) {
				return n, nil
			}
			continue
		}
		p.mu.Unlock()
		select {
		case <-p.space:
		case <-c.wd.passed():
			return n, os.ErrDeadlineExceeded
		case <-c.done:
			return n, net.ErrClosed
		}
	}
}

// Close implements net.Conn: the other end reads what was written, then
// io.EOF; what it writes from then on fails.
func (c *memConn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		err = nil
		close(c.done)
		c.w.mu.Lock()
		c.w.eof = true
		c.w.mu.Unlock()
		wake(c.w.ready)
		c.r.mu.Lock()
		c.r.broken = true
		c.r.buf, c.r.off = nil, 0
		c.r.mu.Unlock()
		wake(c.r.space)
		c.rd.stop()
		c.wd.stop()
	})
	return err
}

// LocalAddr implements net.Conn.
func (c *memConn) LocalAddr() net.Addr { return c.local }

// RemoteAddr implements net.Conn.
func (c *memConn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline implements net.Conn.
func (c *memConn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

// SetReadDeadline implements net.Conn.
func (c *memConn) SetReadDeadline(t time.Time) error { c.rd.set(t); return nil }

// SetWriteDeadline implements net.Conn.
func (c *memConn) SetWriteDeadline(t time.Time) error { c.wd.set(t); return nil }
