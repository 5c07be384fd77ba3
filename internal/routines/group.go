package routines

import "sync"

// Group owns a set of goroutines. The zero value is ready to use.
type Group struct {
	mu      sync.Mutex
	stopped bool
	running int
	wg      sync.WaitGroup
}

// Go runs fn on a new goroutine owned by g and reports true, or, once Stop
// was called, does not run it and reports false. The group's count drops
// when fn returns, whatever it does (a panic is not recovered here: fn
// recovers what it must).
func (g *Group) Go(fn func()) bool {
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return false
	}
	g.running++
	// Added under mu: Stop, also under mu, orders every Add before a Wait
	// that follows it, as sync.WaitGroup requires.
	g.wg.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.done()
		fn()
	}()
	return true
}

func (g *Group) done() {
	g.mu.Lock()
	g.running--
	g.mu.Unlock()
	g.wg.Done()
}

// Stop makes every later Go refuse. It does not wait; it is idempotent.
func (g *Group) Stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
}

// Stopped reports whether Stop was called.
func (g *Group) Stopped() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stopped
}

// Wait stops g and blocks until every goroutine it started has returned.
func (g *Group) Wait() {
	g.Stop()
	g.wg.Wait()
}

// Running is the number of goroutines started and not returned yet.
func (g *Group) Running() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.running
}
