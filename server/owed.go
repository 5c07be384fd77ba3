package server

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/chatstate/chatstate/codec"
)

// owed keeps the leaves the server owes Kafka, the leaves of connections
// that ended, until Kafka takes them: a leave is never given up on, across
// an outage of any length, for as long as the server runs. (If it stops
// before Kafka is back, the instance is not retired, and its sessions expire
// as a silent instance's, or at once when its id starts again.) Safe for
// concurrent use.
type owed struct {
	mu     sync.Mutex
	events []codec.Event
	wake   chan struct{} // a token when events were added
}

func newOwed() *owed { return &owed{wake: make(chan struct{}, 1)} }

// add owes events.
func (o *owed) add(events ...codec.Event) {
	o.mu.Lock()
	o.events = append(o.events, events...)
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// take returns every event owed and owes none.
func (o *owed) take() []codec.Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.events
	o.events = nil
	return e
}

// giveBack owes events again, before those added since they were taken.
func (o *owed) giveBack(events []codec.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(events, o.events...)
}

// snapshot returns a copy of the events owed.
func (o *owed) snapshot() []codec.Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]codec.Event(nil), o.events...)
}

// pending returns how many events are owed.
func (o *owed) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.events)
}

// Bounds of the pause between two tries of the owed writes.
const (
	owedMinBackoff = 100 * time.Millisecond
	owedMaxBackoff = 5 * time.Second
)

// owedLoop writes what is owed as it comes, in one batch per try, and tries
// again with a growing pause (jittered, so that the servers of a cluster do
// not come back in step) until Kafka takes it. It returns when ctx is done;
// goodbye writes what is left.
func (s *Server) owedLoop(ctx context.Context) {
	backoff := owedMinBackoff
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.owed.wake:
		}
		for {
			err := s.writeOwed(ctx)
			if err == nil {
				if failing {
					s.cfg.Logger.Info("owed leaves written after Kafka came back")
				}
				failing, backoff = false, owedMinBackoff
				break
			}
			if !failing {
				s.cfg.Logger.Warn("could not write the leaves of closed sessions; retrying until Kafka takes them", "pending", s.owed.pending(), "err", err)
				failing = true
			}
			pause := backoff/2 + rand.N(backoff/2+1)
			backoff = min(2*backoff, owedMaxBackoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
		}
	}
}

// writeOwed writes everything owed in one batch, within WriteTimeout, and
// owes it again if Kafka did not take it.
func (s *Server) writeOwed(ctx context.Context) error {
	events := s.owed.take()
	if len(events) == 0 {
		return nil
	}
	for _, e := range events {
		s.changed.note(codec.Held{Room: e.Room, Session: e.Session}.Key())
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	if _, err := s.write(wctx, events...); err != nil {
		s.owed.giveBack(events)
		return err
	}
	return nil
}
