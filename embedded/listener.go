package embedded

import (
	"context"
	"errors"
	"net"
	"sync"
)

// dualListener is the broker's listener: it accepts the TCP connections of
// its listener and the in-memory connections of dial. Accept and Close are
// safe to call concurrently; Close returns once its accepting goroutine
// has ended.
type dualListener struct {
	net.Listener
	mem    chan net.Conn
	tcp    chan accepted
	closed chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

// accepted is what one Accept of the TCP listener returned.
type accepted struct {
	conn net.Conn
	err  error
}

// newDualListener starts accepting on l, which it owns from then on.
func newDualListener(l net.Listener) *dualListener {
	d := &dualListener{Listener: l, mem: make(chan net.Conn), tcp: make(chan accepted), closed: make(chan struct{})}
	d.wg.Go(d.acceptTCP)
	return d
}

// acceptTCP hands each TCP connection, or error, to Accept until the
// listener is closed.
func (d *dualListener) acceptTCP() {
	for {
		c, err := d.Listener.Accept()
		select {
		case d.tcp <- accepted{c, err}:
		case <-d.closed:
			if c != nil {
				c.Close()
			}
			return
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

// Accept implements net.Listener: the next connection, in memory or TCP.
// An error of the TCP listener is returned as it came.
func (d *dualListener) Accept() (net.Conn, error) {
	select {
	case c := <-d.mem:
		return c, nil
	case a := <-d.tcp:
		return a.conn, a.err
	case <-d.closed:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener. Connections accepted before stay open.
func (d *dualListener) Close() error {
	err := net.ErrClosed
	d.once.Do(func() {
		close(d.closed)
		err = d.Listener.Close()
		d.wg.Wait()
	})
	return err
}

// dial returns the client end of a new in-memory connection, once the
// broker has accepted its other end, or an error if the listener closed or
// ctx ended first.
func (d *dualListener) dial(ctx context.Context) (net.Conn, error) {
	client, server := memPair(d.Listener.Addr().String())
	select {
	case d.mem <- server:
		return client, nil
	case <-d.closed:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
