package server

import (
	"errors"
	"fmt"

	"github.com/chatstate/chatstate/internal/dirlock"
)

// ErrStateInUse is wrapped by the error of New when another running server
// holds the same state directory: two servers of one host under the same
// ServerID and state directory.
var ErrStateInUse = errors.New("server: state directory in use")

// lockState takes the lock of a server's state directory dir (see
// dirlock), creating dir, or returns an error wrapping ErrStateInUse that
// names dir and, if it can, the process that holds it. The lock is held from
// New until Run returns (or New fails).
func lockState(dir string) (*dirlock.Lock, error) {
	lock, err := dirlock.Acquire(dir)
	var held *dirlock.HeldError
	switch {
	case errors.As(err, &held):
		return nil, fmt.Errorf("%w: %s is used by another server of the same id%s", ErrStateInUse, dir, held.Holder())
	case err != nil:
		return nil, fmt.Errorf("server: state directory: %w", err)
	}
	return lock, nil
}
