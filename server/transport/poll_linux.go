//go:build linux

package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Poller waits, in one epoll instance, for the sockets of idle connections
// to become readable, and starts a reader for each that does (Serve): a
// connection costs no goroutine while it waits, where a read loop costs one
// with its stack, two thirds of an idle connection's memory.
//
// Each socket is registered one-shot: the poller starts one reader for it,
// and the socket is armed again only when that reader has read its frame,
// so that one connection's frames are read one at a time and in order.
// Sockets stay in the Go runtime's own poller too, which blocking reads of
// a frame that arrives in pieces wait on.
//
// Run owns the epoll instance; Close ends Run once every connection it
// watches has ended. Its methods are safe for concurrent use.
type Poller struct {
	mu      sync.Mutex
	ep      *os.File // the epoll instance, nil while Run does not run
	epfd    int      // its descriptor, -1 while Run does not run
	wake    int      // an eventfd in the instance that wakes Run for Close
	conns   map[int32]*Conn
	running bool // Run waits: sockets may be watched
	closed  bool
}

// NewPoller returns a poller that watches nothing until Run runs.
func NewPoller() *Poller {
	return &Poller{epfd: -1, wake: -1, conns: map[int32]*Conn{}}
}

// events the poller waits for: readable, or closed by the peer.
const pollEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

// Run waits for readable sockets and starts their readers until Close was
// called and every connection the poller watched has ended. It returns an
// error if the epoll instance cannot be made (connections then get read
// loops) or fails; after a failure the connections it watched are ended.
// It may be called once.
func (p *Poller) Run() error {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return fmt.Errorf("epoll: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err == nil {
		err = unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wake)})
	}
	if err != nil {
		unix.Close(epfd)
		if wake >= 0 {
			unix.Close(wake)
		}
		return fmt.Errorf("epoll: %w", err)
	}
	// The instance waits in the Go runtime's poller, where it shows
	// readable when it holds events: an epoll_wait that blocked would hold
	// one of the process's Ps for as long as it blocked, until the runtime
	// took it back, which it does only after up to 10 ms.
	var ep *os.File
	if err = unix.SetNonblock(epfd, true); err == nil {
		ep = os.NewFile(uintptr(epfd), "epoll")
	}
	var raw syscall.RawConn
	if err == nil {
		raw, err = ep.SyscallConn()
	}
	if err != nil {
		if ep != nil {
			ep.Close()
		} else {
			unix.Close(epfd)
		}
		unix.Close(wake)
		return fmt.Errorf("epoll: %w", err)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		ep.Close()
		unix.Close(wake)
		return nil
	}
	p.ep, p.epfd, p.wake, p.running = ep, epfd, wake, true
	p.mu.Unlock()

	events := make([]unix.EpollEvent, 256)
	for {
		var n int
		var werr error
		err := raw.Read(func(fd uintptr) bool {
			n, werr = unix.EpollWait(int(fd), events, 0)
			return n > 0 || werr != nil // nothing ready: wait until it is
		})
		if errors.Is(werr, unix.EINTR) {
			continue
		}
		if err == nil {
			err = werr
		}
		if err != nil {
			p.fail()
			return fmt.Errorf("epoll: %w", err)
		}
		for _, ev := range events[:n] {
			if ev.Fd == int32(wake) {
				var b [8]byte
				_, _ = unix.Read(wake, b[:])
				continue
			}
			p.mu.Lock()
			c := p.conns[ev.Fd]
			if c != nil {
				c.armed = false
			}
			p.mu.Unlock()
			if c != nil {
				c.readable()
			}
		}
		if p.stopped() {
			return nil
		}
	}
}

// stopped reports whether Run is to return, and then closes the epoll
// instance: Close was called and no connection is left.
func (p *Poller) stopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed || len(p.conns) > 0 {
		return false
	}
	p.closeLocked()
	return true
}

// fail ends the connections of a poller whose epoll instance failed: their
// reads are ended, and each that waited in the instance gets a reader,
// which ends it; a reader under way ends it as it fails to rearm.
func (p *Poller) fail() {
	p.mu.Lock()
	all := make([]*Conn, 0, len(p.conns))
	var armed []*Conn
	for _, c := range p.conns {
		all = append(all, c)
		if c.armed {
			c.armed = false
			armed = append(armed, c)
		}
	}
	p.closed = true
	p.closeLocked()
	p.mu.Unlock()
	for _, c := range all {
		c.endRead()
	}
	for _, c := range armed {
		c.readable()
	}
}

// closeLocked closes the epoll instance. p.mu held.
func (p *Poller) closeLocked() {
	if p.running {
		p.ep.Close()
		unix.Close(p.wake)
		p.ep, p.epfd, p.wake, p.running = nil, -1, -1, false
	}
}

// Close has Run return once every connection it watches has ended; the
// poller watches no new one. It does not wait; it is idempotent.
func (p *Poller) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.wakeLocked()
}

// wakeLocked wakes Run, to see whether it is to return. p.mu held.
func (p *Poller) wakeLocked() {
	if p.running {
		var one [8]byte // what an eventfd adds to its counter, in host order
		binary.NativeEndian.PutUint64(one[:], 1)
		_, _ = unix.Write(p.wake, one[:])
	}
}

// watch registers c's socket and reports whether it did: not while Run
// does not run, after Close, or for a socket that is not TCP (a TLS
// connection's buffered bytes would not show in epoll).
func (p *Poller) watch(c *Conn) bool {
	tc, ok := c.out.Conn.(*net.TCPConn)
	if !ok {
		return false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running || p.closed {
		return false
	}
	var cerr error
	err = raw.Control(func(fd uintptr) {
		c.fd, c.polled = int32(fd), true
		p.conns[c.fd] = c
		cerr = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, int(fd), &unix.EpollEvent{Events: pollEvents, Fd: int32(fd)})
		c.armed = cerr == nil
	})
	if err != nil || cerr != nil {
		if c.polled {
			delete(p.conns, c.fd)
			c.polled = false
		}
		return false
	}
	return true
}

// errPollerDown is rearm's answer once the epoll instance is gone.
var errPollerDown = errors.New("the poller has stopped")

// rearm has the poller start the next reader of c when its socket is
// readable again. Only c's reader calls it, as its last act.
func (p *Poller) rearm(c *Conn) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running {
		return errPollerDown
	}
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, int(c.fd), &unix.EpollEvent{Events: pollEvents, Fd: c.fd})
	c.armed = err == nil
	return err
}

// forget unregisters c, whose reading has ended, before its socket closes
// (a descriptor's number is reused by the next socket).
func (p *Poller) forget(c *Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns[c.fd] == c {
		delete(p.conns, c.fd)
		if p.running {
			_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(c.fd), nil)
		}
	}
	if p.closed && len(p.conns) == 0 {
		p.wakeLocked()
	}
}
