package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrStateInUse is wrapped by the error of New when another running server
// holds the same state directory: two servers of one host under the same
// ServerID and state directory.
var ErrStateInUse = errors.New("server: state directory in use")

// stateLock is an exclusive lock on a server's state directory, held from
// New until Run returns (or New fails). It is an advisory lock of the file
// "lock" in the directory, which the system drops when the process ends,
// however it ends: a server killed leaves nothing to clean up.
type stateLock struct{ f *os.File }

// lockState takes the lock of dir, creating dir, or returns an error
// wrapping ErrStateInUse that names dir and, if it can, the process that
// holds it.
func lockState(dir string) (*stateLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("server: state directory: %w", err)
	}
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("server: state directory: %w", err)
	}
	if err := tryLock(f); err != nil {
		_ = f.Close()
		if !errors.Is(err, errLocked) {
			return nil, fmt.Errorf("server: lock %s: %w", path, err)
		}
		holder := ""
		if b, err := os.ReadFile(path); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				holder = fmt.Sprintf(" (process %d)", pid)
			}
		}
		return nil, fmt.Errorf("%w: %s is used by another server of the same id%s", ErrStateInUse, dir, holder)
	}
	// Who holds it, for the error above; the lock does not depend on it.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &stateLock{f: f}, nil
}

// release drops the lock; nil is a lock not taken.
func (l *stateLock) release() {
	if l != nil {
		_ = l.f.Close() // closing the file drops the lock
	}
}
