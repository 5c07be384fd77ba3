//go:build unix

package dirlock

import (
	"errors"
	"os"
	"syscall"
)

// errLocked is tryLock's error when another holds the lock.
var errLocked = errors.New("locked")

// tryLock takes an exclusive flock of f without waiting.
func tryLock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errLocked
		case !errors.Is(err, syscall.EINTR):
			return err
		}
	}
}
