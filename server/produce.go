package server

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
)

// errProducerClosed is what a write after the server released Kafka gets.
var errProducerClosed = errors.New("server: the producer is closed")

// producer writes the server's records through a kgo client (see
// kafka.Config.Kgo: acks=all, idempotent, goka's partitioner) so that every
// write has the bound its caller's context sets. A write whose context ends
// first is answered then; a record not yet sent by then is failed by kgo
// and not written, one already sent may still be (no client can tell before
// Kafka answers). Safe for concurrent use.
type producer struct {
	cl *kgo.Client

	mu       sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
}

func newProducer(cl *kgo.Client) *producer { return &producer{cl: cl} }

// send hands msgs to Kafka and returns its answer, or an error wrapping
// ctx's once ctx ends first: then the records are not acknowledged. Only
// the Topic, Key and Value of each message are written. On success each
// message's Partition and Offset are set. The records of one call go to
// Kafka together, each in order within its partition.
func (p *producer) send(ctx context.Context, msgs ...*sarama.ProducerMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	recs := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		r := &kgo.Record{Topic: m.Topic}
		var err error
		if m.Key != nil {
			if r.Key, err = m.Key.Encode(); err != nil {
				return fmt.Errorf("server: key of a record: %w", err)
			}
		}
		if m.Value != nil {
			if r.Value, err = m.Value.Encode(); err != nil {
				return fmt.Errorf("server: value of a record: %w", err)
			}
		}
		recs[i] = r
	}
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		return errProducerClosed
	}
	p.inflight.Add(1)
	p.mu.RUnlock()
	done := make(chan error, 1)
	var (
		mu      sync.Mutex
		errs    []error
		pending = len(recs)
	)
	for i, r := range recs {
		// kgo calls promises one at a time, on its own goroutine; the
		// last of this call's answers the call.
		p.cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else {
				msgs[i].Partition, msgs[i].Offset = r.Partition, r.Offset
			}
			if pending--; pending == 0 {
				done <- errors.Join(errs...)
				p.inflight.Done()
			}
		})
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no answer from Kafka in time, not acknowledged: %w", ctx.Err())
	}
}

// close refuses further sends, closes the client, which fails what it
// still holds, and waits for the sends in flight to be answered.
func (p *producer) close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.cl.Close()
	p.inflight.Wait()
	return nil
}
