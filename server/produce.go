package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/twmb/franz-go/pkg/kgo"
)

// errProducerClosed is what a write after the server released Kafka gets.
var errProducerClosed = errors.New("server: the producer is closed")

// producer is the server's writer of records: a kgo client configured by
// kafka.Config.Producer, whose every write has the bound its caller's
// context sets. Safe for concurrent use; writes of different callers go out
// together, up to five produce requests in flight per broker.
type producer struct {
	client *kgo.Client

	mu       sync.RWMutex
	closed   bool
	inflight sync.WaitGroup // one per record handed to the client, done by its promise
}

// send hands recs to Kafka and returns once Kafka acknowledged them all, or
// the first error; or, once ctx ends first, an error wrapping ctx's. Then
// the records are not acknowledged and Kafka may still have taken them (no
// client can tell before Kafka answers); the client fails those it still
// holds, since they carry ctx. On success each record's Offset is set.
func (p *producer) send(ctx context.Context, recs ...*kgo.Record) error {
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		return errProducerClosed
	}
	p.inflight.Add(len(recs))
	p.mu.RUnlock()
	// Buffered for every answer: a promise never blocks the client's
	// promise loop, even when this send returned on ctx first.
	answers := make(chan error, len(recs))
	promise := func(_ *kgo.Record, err error) {
		answers <- err
		p.inflight.Done()
	}
	for _, r := range recs {
		p.client.Produce(ctx, r, promise)
	}
	var first error
	for range recs {
		select {
		case err := <-answers:
			if err != nil && first == nil {
				first = err
			}
		case <-ctx.Done():
			return fmt.Errorf("no answer from Kafka in time, not acknowledged: %w", ctx.Err())
		}
	}
	return first
}

// close refuses further sends, closes the client, which fails the records
// it still holds, and waits until every record handed to it was answered.
func (p *producer) close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.client.Close()
	p.inflight.Wait()
	return nil
}

// write produces events to the events topic and returns their offsets once
// Kafka acknowledged them all (acks=all). A failure is unavailable and
// acknowledges nothing; a record cut off by ctx may still have been
// written (the producer cannot tell before Kafka answers).
func (s *Server) write(ctx context.Context, events ...codec.Event) ([]int64, error) {
	recs := make([]*kgo.Record, len(events))
	for i := range events {
		b, err := codec.EventCodec{}.Encode(&events[i])
		if err != nil {
			return nil, err
		}
		recs[i] = &kgo.Record{Topic: string(s.kcfg.Names.Events), Key: []byte(events[i].Room), Value: b}
	}
	start := time.Now()
	defer func() { s.metrics.ProduceSeconds.Observe(time.Since(start).Seconds()) }()
	if err := s.prod.send(ctx, recs...); err != nil {
		return nil, protocol.Errorf(protocol.CodeUnavailable, "kafka did not take the write: %v", err)
	}
	offs := make([]int64, len(recs))
	for i, r := range recs {
		offs[i] = r.Offset
	}
	return offs, nil
}
