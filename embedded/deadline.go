package embedded

import (
	"sync"
	"time"
)

// deadline is the read or the write deadline of an in-memory connection:
// passed returns a channel that is closed while the deadline has passed.
// Its methods are safe to call concurrently.
type deadline struct {
	mu    sync.Mutex
	timer *time.Timer
	ch    chan struct{}
}

func newDeadline() *deadline { return &deadline{ch: make(chan struct{})} }

// set moves the deadline to t; the zero time means none. The channel
// stays the same unless the deadline had passed, so a call blocked on it
// meets the new deadline, as a call blocked on a socket does.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopLocked()
	select {
	case <-d.ch:
		d.ch = make(chan struct{}) // it had passed: start afresh
	default:
	}
	if t.IsZero() {
		return
	}
	dur := time.Until(t)
	if dur <= 0 {
		close(d.ch)
		return
	}
	ch := d.ch
	d.timer = time.AfterFunc(dur, func() { close(ch) })
}

// stop stops the timer, if any, so that nothing outlives the connection.
func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopLocked()
}

func (d *deadline) stopLocked() {
	if d.timer != nil && !d.timer.Stop() {
		<-d.ch // the timer fired: its close of ch has happened or will
	}
	d.timer = nil
}

// passed returns the channel closed once the deadline passes.
func (d *deadline) passed() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ch
}
