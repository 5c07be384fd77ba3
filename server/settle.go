package server

import (
	"context"
	"fmt"
	"time"

	"github.com/chatstate/chatstate/kafka"
)

// settle waits until the servers table is current as of the moment settle
// was called: every event written to the log before then has been folded by
// the rooms group, every presence record and heartbeat it led to by the
// servers group, every bucket row it touched written, and, with view set,
// this server's servers view has applied all of it. Only then does the
// table tell which sessions an instance holds and when it last beat; a
// table that is behind only says that it is behind.
//
// It returns nil once settled, or an error saying what is still behind
// when ctx ends first or Kafka cannot be read. It waits by polling the
// groups' committed offsets, so it takes about one commit interval (1 s)
// per stage on a quiet cluster.
func (s *Server) settle(ctx context.Context, view bool) error {
	n := s.kcfg.Partitions
	names := s.kcfg.Names
	// Each stage's end offsets are read only after the stage before is
	// settled: what the stage before wrote meanwhile is then included.
	stages := []struct {
		group  string
		topics []string
	}{
		{string(names.RoomsGroup), []string{string(names.Events)}},
		{string(names.ServersGroup), []string{string(names.Presence), string(names.Heartbeats)}},
		{string(names.ServersGroup), []string{string(names.ServersLoop())}},
	}
	for _, st := range stages {
		if err := s.waitGroup(ctx, st.group, st.topics, n); err != nil {
			return err
		}
	}
	if !view {
		return nil
	}
	table := string(names.ServersTable())
	ends, err := kafka.EndOffsets(s.client, table, n)
	if err != nil {
		return err
	}
	return poll(ctx, func() error {
		offs, err := s.servers.Offsets(n)
		if err != nil {
			return err
		}
		for p, end := range ends {
			if offs[p] < end-1 {
				return fmt.Errorf("the servers view is behind on %s/%d (at %d of %d)", table, p, offs[p]+1, end)
			}
		}
		return nil
	})
}

// waitGroup waits until group has committed, on every partition of topics,
// the end offset the partition has now.
func (s *Server) waitGroup(ctx context.Context, group string, topics []string, n int) error {
	ends := make([][]int64, len(topics))
	for i, topic := range topics {
		var err error
		if ends[i], err = kafka.EndOffsets(s.client, topic, n); err != nil {
			return err
		}
	}
	return poll(ctx, func() error {
		for i, topic := range topics {
			committed, err := kafka.CommittedOffsets(s.client, group, topic, n)
			if err != nil {
				return err
			}
			for p, end := range ends[i] {
				if end > 0 && committed[p] < end {
					return fmt.Errorf("group %s is behind on %s/%d (at %d of %d)", group, topic, p, committed[p], end)
				}
			}
		}
		return nil
	})
}

// settlePoll is the pause between two checks of poll.
const settlePoll = 100 * time.Millisecond

// poll calls check until it returns nil, and returns its last error
// (with ctx's) if ctx ends first.
func poll(ctx context.Context, check func() error) error {
	for {
		err := check()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", err, ctx.Err())
		case <-time.After(settlePoll):
		}
	}
}
