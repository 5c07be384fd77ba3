package transport

import (
	"runtime"
	"sync"
	"time"
)

// Flusher writes what connections queue from a few goroutines of its own,
// instead of a write loop started per connection and per burst: the
// fan-out of one event queues a frame to every member of a room, and a
// goroutine started, scheduled and ended for each of them cost more than
// the write itself. A worker takes the connections that have something
// queued and writes each one's batch without waiting on its socket (see
// Conn.writeReady); a connection whose socket takes less than the batch is
// handed to a write loop of its own, which waits on it within the write
// timeout, as every connection's did before.
//
// A connection's writes stay one at a time and in queue order: it is in the
// flusher, or in a write loop, never both (Conn.writing). Run owns the
// workers; after Close, connections fall back to write loops. Its methods
// are safe for concurrent use.
//
// With a delay, frames queued with Conn.EnqueueLater wait up to that long
// for others, so that frames that come tens of milliseconds apart go out
// in one write rather than one each (see EnqueueLater).
type Flusher struct {
	workers int
	delay   time.Duration
	wake    chan struct{} // a token when later gets its first connection
	done    chan struct{} // closed by Close

	mu      sync.Mutex
	more    sync.Cond // signalled when ready gets its first connection, or on Close
	ready   []*Conn   // connections with something to write, in the order they came
	spare   []*Conn   // the slice a worker emptied, reused as the next ready
	later   []*Conn   // connections holding frames queued with EnqueueLater
	running bool
	closed  bool
}

// NewFlusher returns a flusher of workers goroutines (GOMAXPROCS when
// workers is not positive) that takes no connection until Run runs. delay
// bounds how long a frame queued with Conn.EnqueueLater may wait for
// others; 0 writes those frames at once, as Enqueue's.
func NewFlusher(workers int, delay time.Duration) *Flusher {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	f := &Flusher{workers: workers, delay: max(delay, 0), wake: make(chan struct{}, 1), done: make(chan struct{})}
	f.more.L = &f.mu
	return f
}

// Run runs the workers, and the release of delayed frames, until Close,
// and returns once they have written what was handed to them before it
// (delayed frames are then handed to write loops). It may be called once.
func (f *Flusher) Run() {
	f.mu.Lock()
	if f.closed || f.running {
		f.mu.Unlock()
		return
	}
	f.running = true
	f.mu.Unlock()
	var wg sync.WaitGroup
	for range f.workers {
		wg.Go(f.work)
	}
	if f.delay > 0 {
		wg.Go(f.release)
	}
	wg.Wait()
}

// Close makes the flusher take no more connections, and Run return once
// its workers have written what they hold.
func (f *Flusher) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		close(f.done)
	}
	f.closed = true
	f.more.Broadcast()
}

// hold takes c, which has frames queued with EnqueueLater and is not
// writing, into the list that release hands to the workers within the
// delay, and reports whether it did: not without a delay, before Run or
// after Close. Called with c.qmu held.
func (f *Flusher) hold(c *Conn) bool {
	if f == nil || f.delay <= 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.running || f.closed {
		return false
	}
	f.later = append(f.later, c)
	if len(f.later) == 1 {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
	return true
}

// release waits for a connection to be held, lets the delay pass, and
// releases every connection held by then, until Close; then it releases
// those held, whose writes go to write loops.
func (f *Flusher) release() {
	t := time.NewTimer(f.delay)
	t.Stop()
	for {
		select {
		case <-f.wake:
		case <-f.done:
			f.releaseHeld()
			return
		}
		t.Reset(f.delay)
		select {
		case <-t.C:
		case <-f.done:
			t.Stop()
			f.releaseHeld()
			return
		}
		f.releaseHeld()
	}
}

// releaseHeld hands every held connection's frames to a writer.
func (f *Flusher) releaseHeld() {
	f.mu.Lock()
	held := f.later
	f.later = nil
	f.mu.Unlock()
	for _, c := range held {
		c.releaseHeld()
	}
}

// add hands c, whose writing was just set, to a worker, and reports
// whether it did: not before Run or after Close, nor without a flusher.
func (f *Flusher) add(c *Conn) bool {
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.running || f.closed {
		return false
	}
	f.ready = append(f.ready, c)
	if len(f.ready) == 1 {
		// A worker that is writing looks again before it waits: only a
		// list that was empty needs one woken.
		f.more.Signal()
	}
	return true
}

// work writes the ready connections' batches until Close, and what is
// ready then.
func (f *Flusher) work() {
	var batch []*Conn
	for {
		f.mu.Lock()
		if batch != nil {
			clear(batch)
			f.spare = batch[:0]
		}
		for len(f.ready) == 0 && !f.closed {
			f.more.Wait()
		}
		if len(f.ready) == 0 {
			f.mu.Unlock()
			return
		}
		batch = f.ready
		f.ready, f.spare = f.spare, nil
		f.mu.Unlock()
		for _, c := range batch {
			c.writeReady()
		}
	}
}
