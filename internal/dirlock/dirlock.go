// Package dirlock gives a directory to one process at a time: an exclusive
// advisory lock (flock) of the file "lock" in it, which the system drops
// when the process ends, however it ends, so a process killed leaves
// nothing to clean up and the next start finds the directory free.
//
// The server's state directory and the embedded broker's data dir are
// locked with it before anything opens the files in them. A second process
// on a locked directory gets an error at once, having written nothing there
// (the lock file aside, which it only opens).
//
// The lock is per open file, so a second Lock of the same directory in the
// same process is refused too. Where the system has no flock (not unix),
// Lock takes no lock.
package dirlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrHeld is matched (errors.Is) by the error of Lock when another holds
// the lock: a *HeldError.
var ErrHeld = errors.New("directory locked by another process")

// HeldError is the error of Lock when another holds the lock of Dir.
type HeldError struct {
	// Dir is the directory locked.
	Dir string
	// PID is the holder's process id, as it wrote it in the lock file; 0
	// when it could not be read.
	PID int
}

func (e *HeldError) Error() string {
	return e.Dir + " is used by another process" + e.Holder()
}

// Is makes errors.Is(err, ErrHeld) true.
func (e *HeldError) Is(target error) bool { return target == ErrHeld }

// Holder is " (process PID)" when the holder is known, "" otherwise: for
// the messages that name the directory in their own words.
func (e *HeldError) Holder() string {
	if e.PID <= 0 {
		return ""
	}
	return fmt.Sprintf(" (process %d)", e.PID)
}

// Lock is an exclusive lock of a directory, held until Release.
type Lock struct{ f *os.File }

// Acquire takes the lock of dir, creating dir, without waiting. When
// another holds it the error is a *HeldError; other errors (dir cannot be
// made, the lock file cannot be opened) name the path.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := tryLock(f); err != nil {
		_ = f.Close()
		if !errors.Is(err, errLocked) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		held := &HeldError{Dir: dir}
		if b, err := os.ReadFile(path); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				held.PID = pid
			}
		}
		return nil, held
	}
	// Who holds it, for the error above; the lock does not depend on it.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Release drops the lock; a nil Lock is a lock not taken. Later calls do
// nothing.
func (l *Lock) Release() {
	if l != nil && l.f != nil {
		_ = l.f.Close() // closing the file drops the lock
		l.f = nil
	}
}
