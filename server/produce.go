package server

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/IBM/sarama"
)

// errProducerClosed is what a write after the server released Kafka gets.
var errProducerClosed = errors.New("server: the producer is closed")

// producer wraps the sync producer so that every write has the bound its
// caller's context sets: sarama's SyncProducer takes no context, and during
// an outage it retries for as long as its own settings say. A write whose
// context ends first is answered then; the producer's call goes on in a
// goroutine that close waits for. Safe for concurrent use.
type producer struct {
	prod sarama.SyncProducer

	mu       sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
}

// send hands msgs to Kafka and returns its answer, or an error wrapping
// ctx's once ctx ends first: then the records are not acknowledged, and
// Kafka may still take them (no client can tell before Kafka answers). On
// success each message's Offset is set.
func (p *producer) send(ctx context.Context, msgs ...*sarama.ProducerMessage) error {
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		return errProducerClosed
	}
	p.inflight.Add(1)
	p.mu.RUnlock()
	done := make(chan error, 1)
	go func() {
		defer p.inflight.Done()
		if len(msgs) == 1 {
			_, _, err := p.prod.SendMessage(msgs[0])
			done <- err
			return
		}
		done <- p.prod.SendMessages(msgs)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no answer from Kafka in time, not acknowledged: %w", ctx.Err())
	}
}

// close refuses further sends, closes the producer, which fails what it
// still retries, and waits for the sends in flight to return.
func (p *producer) close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	err := p.prod.Close()
	p.inflight.Wait()
	return err
}
