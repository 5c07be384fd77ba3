//go:build !unix

package transport

import (
	"errors"
	"net"
	"syscall"
)

// rawOf returns nil: here every connection's writes wait in a write loop.
func rawOf(net.Conn) syscall.RawConn { return nil }

// writeNow is never called here: rawOf gives no socket to write to.
func writeNow(syscall.RawConn, []byte) (int, error) {
	return 0, errors.New("transport: no write without waiting on this system")
}
