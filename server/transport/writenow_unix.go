//go:build unix

package transport

import (
	"errors"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// rawOf returns what writes to conn's socket without waiting, or nil for a
// connection that is not a plain TCP socket.
func rawOf(conn net.Conn) syscall.RawConn {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// writeNow writes p to raw's socket as far as its send buffer takes it, and
// returns how much it wrote; a full buffer is not an error. It never waits
// for the socket.
func writeNow(raw syscall.RawConn, p []byte) (n int, err error) {
	var werr error
	err = raw.Write(func(fd uintptr) bool {
		for n < len(p) {
			m, e := unix.Write(int(fd), p[n:])
			if m > 0 {
				n += m
			}
			if errors.Is(e, unix.EINTR) {
				continue
			}
			if e != nil {
				if !errors.Is(e, unix.EAGAIN) {
					werr = e
				}
				break
			}
			if m <= 0 {
				break // nothing taken and no reason given: let a write loop wait
			}
		}
		return true // done, whatever the socket took: never wait here
	})
	if err == nil {
		err = werr
	}
	return n, err
}
