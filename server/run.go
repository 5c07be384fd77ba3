package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server/ops"
	"golang.org/x/sync/errgroup"
)

// Run reads the log and keeps the views until ctx is done, then says goodbye
// to every client (their leaves written, then close 1001) and releases
// Kafka and the state directory. It returns once every goroutine it and its
// connections started has ended, with the errors of all its parts joined
// (nil after a clean stop). It may be called once.
func (s *Server) Run(ctx context.Context) error {
	if s.ran.Swap(true) {
		return ErrRunTwice
	}
	defer s.release()
	if s.poller != nil {
		s.routines.Go(func() {
			if err := s.poller.Run(); err != nil {
				s.cfg.Logger.Warn("each connection reads on a goroutine of its own", "reason", err)
			}
		})
	}
	s.routines.Go(s.flusher.Run)
	g, gctx := errgroup.WithContext(ctx)
	// Every part's error is returned, not only the first: errgroup keeps
	// one, and the part that failed first is not always the telling one.
	var errs errorList
	part := func(fn func() error) { g.Go(func() error { return errs.add(fn()) }) }
	part(func() error { return s.tail.Run(gctx) })
	part(func() error {
		ops.ProbeKafka(gctx, s.kcfg.Brokers, s.cfg.Logger, func(down string) { s.kafkaDown.Store(down) })
		return nil
	})
	part(func() error { ops.WatchLag(gctx, s.client, s.kcfg, s.metrics.Kafka); return nil })
	part(func() error { s.pruneLoop(gctx); return nil })
	part(func() error { return s.typingLoop(gctx) })
	part(func() error { s.inviteLoop(gctx); return nil })
	owedDone := make(chan struct{})
	part(func() error { defer close(owedDone); s.owedLoop(gctx); return nil })
	g.Go(func() error {
		// The views start once the processors have folded everything the
		// tail did not read: then every event is in a view or in the tail.
		if err := s.waitProcessors(gctx); err != nil {
			return errs.add(err)
		}
		vg, vctx := errgroup.WithContext(gctx)
		vg.Go(func() error { return errs.add(s.rooms.Run(vctx)) })
		vg.Go(func() error { return errs.add(s.users.Run(vctx)) })
		vg.Go(func() error { return errs.add(s.servers.Run(vctx)) })
		vg.Go(func() error {
			if s.rooms.WaitReady(vctx) == nil && s.users.WaitReady(vctx) == nil {
				s.ready.Store(true)
				s.cfg.Logger.Info("server ready", "server", s.cfg.ServerID, "instance", s.instance, "epoch", s.epoch)
				var beats sync.WaitGroup
				beats.Go(func() { s.beatLoop(vctx) })
				beats.Go(func() { s.assertLoop(vctx) })
				s.sweepLoop(vctx)
				beats.Wait()
			}
			return nil
		})
		return vg.Wait()
	})
	<-gctx.Done()
	s.goodbye(owedDone)
	_ = g.Wait()
	// The poller ends once the last connection's reads have ended; the
	// flusher hands what is still to write, the goodbyes' close frames
	// among it, to write loops.
	if s.poller != nil {
		s.poller.Close()
	}
	s.flusher.Close()
	s.routines.Wait()
	return errs.joined()
}

// errorList collects the errors of a server's parts; a part that ended
// because the server stopped is no error.
type errorList struct {
	mu   sync.Mutex
	errs []error
}

// add records err unless it is nil or a cancellation, and returns it for
// errgroup, which cancels the other parts on the first one.
func (l *errorList) add(err error) error {
	if err != nil && !errors.Is(err, context.Canceled) {
		l.mu.Lock()
		l.errs = append(l.errs, err)
		l.mu.Unlock()
	}
	return err
}

// joined is every error recorded, joined; nil if there was none.
func (l *errorList) joined() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return errors.Join(l.errs...)
}

// waitProcessors waits until the rooms group has committed, on every
// partition, the offset the tail started from.
func (s *Server) waitProcessors(ctx context.Context) error {
	for {
		behind := 0
		committed, err := kafka.CommittedOffsets(s.client, string(s.kcfg.Names.RoomsGroup), string(s.kcfg.Names.Events), len(s.tail.Start()))
		if err == nil {
			for p, start := range s.tail.Start() {
				if start > 0 && committed[p] < start {
					behind++
				}
			}
		}
		if err == nil && behind == 0 {
			return nil
		}
		if err != nil {
			s.waiting.Store(fmt.Sprintf("cannot read the progress of the processors: %v", err))
		} else {
			s.waiting.Store(fmt.Sprintf("waiting for the rooms processors to catch up on %d partitions", behind))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}
