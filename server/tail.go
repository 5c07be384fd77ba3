package server

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/prometheus/client_golang/prometheus"
)

// tail reads every partition of the events topic, without a consumer group,
// from the end as it was at start, and dispatches each valid event to the
// hub. Records that do not decode or validate are passed over, as the
// processors pass them over.
type tail struct {
	client sarama.Client
	topic  string
	hub    *hub
	log    *slog.Logger
	// partitions of the events topic, to recognize misplaced records.
	partitions int
	// invalid counts the records passed over (the dead letters of the log).
	invalid prometheus.Counter
	// latency observes each event's time from its record timestamp to its
	// dispatch.
	latency prometheus.Observer
	// start is the offset each partition was read from.
	start []int64
}

// open resolves the start offsets. It is separate from run so that the
// server knows them before anything else starts.
func (t *tail) open(partitions int) error {
	start, err := kafka.EndOffsets(t.client, t.topic, partitions)
	if err != nil {
		return fmt.Errorf("server: tail: %w", err)
	}
	t.start = start
	return nil
}

// run reads until ctx is done.
func (t *tail) run(ctx context.Context) error {
	consumer, err := sarama.NewConsumerFromClient(t.client)
	if err != nil {
		return fmt.Errorf("server: tail: %w", err)
	}
	defer consumer.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	for p, off := range t.start {
		pc, err := consumer.ConsumePartition(t.topic, int32(p), off)
		if err != nil {
			return fmt.Errorf("server: tail %s/%d from %d: %w", t.topic, p, off, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.partition(ctx, pc)
		}()
	}
	<-ctx.Done()
	return nil
}

// dispatch hands one event to the hub; a panic there is logged with its
// stack and costs that event's delivery, not the process.
func (t *tail) dispatch(e *codec.Event, offset int64) {
	defer func() {
		if r := recover(); r != nil {
			t.log.Error("panic while dispatching an event", "room", e.Room, "cursor", offset, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	leaver := ""
	if e.Type == codec.Leave {
		leaver = e.Session
	}
	t.hub.dispatch(e.Room, offset, leaver, func() []byte { return encodeEvent(offset, e) })
}

func (t *tail) partition(ctx context.Context, pc sarama.PartitionConsumer) {
	defer func() { _ = pc.Close() }()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-pc.Errors():
			t.log.Warn("tail read error", "err", err)
		case m := <-pc.Messages():
			// Pass over what the processors send to the dead-letter topic:
			// what does not decode, and what sits in the wrong partition.
			e, err := codec.DecodeEvent(m.Value)
			if err != nil || string(m.Key) != e.Room || kafka.Partition(e.Room, t.partitions) != m.Partition {
				t.invalid.Inc()
				continue
			}
			// Observed before the hand-off, so that a client never sees
			// an event the histogram does not count yet.
			if !m.Timestamp.IsZero() {
				t.latency.Observe(time.Since(m.Timestamp).Seconds())
			}
			t.dispatch(e, m.Offset)
		}
	}
}
