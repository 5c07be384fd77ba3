package routines

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestWaitWaitsForEveryGoroutine: Wait returns only after every goroutine
// started has returned, and Go refuses afterwards without running fn.
func TestWaitWaitsForEveryGoroutine(t *testing.T) {
	var g Group
	release := make(chan struct{})
	var ended atomic.Int32
	for range 10 {
		if !g.Go(func() { <-release; ended.Add(1) }) {
			t.Fatal("Go refused before Stop")
		}
	}
	if n := g.Running(); n != 10 {
		t.Fatalf("running %d, want 10", n)
	}
	waited := make(chan struct{})
	go func() { g.Wait(); close(waited) }()
	select {
	case <-waited:
		t.Fatal("Wait returned while goroutines ran")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return after the goroutines ended")
	}
	if ended.Load() != 10 || g.Running() != 0 {
		t.Fatalf("%d ended, %d running; want 10, 0", ended.Load(), g.Running())
	}
	ran := false
	if g.Go(func() { ran = true }) || ran {
		t.Fatal("Go after Wait ran its function")
	}
}

// TestGoFromOwnedGoroutines: goroutines that start others while the group
// stops never start one after Stop, and Wait sees all that started (run
// with -race: WaitGroup misuse is reported).
func TestGoFromOwnedGoroutines(t *testing.T) {
	var g Group
	var started, refused atomic.Int32
	var spawn func(depth int)
	spawn = func(depth int) {
		if depth == 0 {
			return
		}
		for range 2 {
			if g.Go(func() { started.Add(1); spawn(depth - 1) }) {
				continue
			}
			refused.Add(1)
		}
	}
	g.Go(func() { spawn(14) })
	for deadline := time.Now().Add(10 * time.Second); started.Load() < 50; {
		if time.Now().After(deadline) {
			t.Fatal("the goroutines did not start")
		}
		runtime.Gosched()
	}
	g.Wait()
	if g.Running() != 0 || !g.Stopped() {
		t.Fatalf("%d running after Wait, stopped %v", g.Running(), g.Stopped())
	}
	if started.Load()+refused.Load() == 0 {
		t.Fatal("nothing was started or refused")
	}
	t.Logf("%d started, %d refused", started.Load(), refused.Load())
}
