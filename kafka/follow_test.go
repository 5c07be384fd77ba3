package kafka_test

import (
	"context"
	"fmt"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// followed is what a Follower told its handler, safe to read while it runs.
type followed struct {
	mu      sync.Mutex
	offsets []int64
	skips   [][2]int64
	pastEnd [][2]int64
}

func (f *followed) handler(t *testing.T) kafka.FollowHandler {
	return kafka.FollowHandler{
		Record: func(r *kgo.Record) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.offsets = append(f.offsets, r.Offset)
		},
		Skipped: func(p int32, from, to int64) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.skips = append(f.skips, [2]int64{from, to})
		},
		PastEnd: func(p int32, next, end int64) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.pastEnd = append(f.pastEnd, [2]int64{next, end})
		},
		Error: func(err error) { t.Logf("follow: %v", err) },
	}
}

// waitFor waits until the offsets read are want.
func (f *followed) waitFor(t *testing.T, want []int64) {
	t.Helper()
	testenv.WaitFor(t, 30*time.Second, func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if !slices.Equal(f.offsets, want) {
			return fmt.Errorf("read %v, want %v", f.offsets, want)
		}
		return nil
	})
}

// follow runs a follower of e's partition from start until the test ends,
// and checks that it ends with its context, its goroutines with it: those
// of the follower and of its kgo client. The sarama client its relocations
// ask is the test's, and may open connections of its own meanwhile.
func follow(t *testing.T, e *readerEnv, start int64) *followed {
	t.Helper()
	f := kafka.NewFollower(e.cfg, "test-follower", e.client, e.topic, []int64{start})
	got := &followed{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := f.Run(ctx, got.handler(t)); err != nil {
			t.Errorf("follow: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the follower did not end with its context")
		}
		testenv.WaitFor(t, 10*time.Second, func() error {
			var b strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
			for _, g := range strings.Split(b.String(), "\n\n") {
				if strings.Contains(g, "franz-go/pkg/kgo.") || strings.Contains(g, "chatstate/kafka.(*Follower)") {
					return fmt.Errorf("goroutine left:\n%s", g)
				}
			}
			return nil
		})
	})
	return got
}

// TestFollowerReadsAsWritten: records already there and records written
// later come once each, in order.
func TestFollowerReadsAsWritten(t *testing.T) {
	e := newReaderEnv(t, 5, nil)
	got := follow(t, e, 2)
	got.waitFor(t, span(2, 5))
	e.write(t, 3)
	got.waitFor(t, span(2, 8))
	if len(got.skips) != 0 || len(got.pastEnd) != 0 {
		t.Fatalf("skips %v, past the end %v; want none", got.skips, got.pastEnd)
	}
}

// TestFollowerFromDeleted: a position below the earliest offset is told as
// skipped, and the follower reads on from the earliest.
func TestFollowerFromDeleted(t *testing.T) {
	e := newReaderEnv(t, 20, nil)
	e.deleteBelow(t, 10)
	got := follow(t, e, 2)
	got.waitFor(t, span(10, 20))
	got.mu.Lock()
	defer got.mu.Unlock()
	if !slices.Equal(got.skips, [][2]int64{{2, 10}}) || len(got.pastEnd) != 0 {
		t.Fatalf("skips %v, past the end %v; want [[2 10]] and none", got.skips, got.pastEnd)
	}
}

// TestFollowerPastEnd: a position past the partition's end is told, and
// the follower reads on from the end: what is written next comes.
func TestFollowerPastEnd(t *testing.T) {
	e := newReaderEnv(t, 3, nil)
	got := follow(t, e, 10)
	testenv.WaitFor(t, 30*time.Second, func() error {
		got.mu.Lock()
		defer got.mu.Unlock()
		if !slices.Equal(got.pastEnd, [][2]int64{{10, 3}}) {
			return fmt.Errorf("past the end told %v, want [[10 3]]", got.pastEnd)
		}
		return nil
	})
	e.write(t, 2)
	got.waitFor(t, span(3, 5))
}
