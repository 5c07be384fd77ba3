// Package logread reads a room's events straight from the events topic, by
// cursor range: for history, resume, catch-up, the events API and replay.
//
// A room lives in exactly one partition (key = room), so a cursor range of a
// room is an offset range of one partition; records of other rooms and
// records that do not decode or validate are passed over, as the processors
// pass them over.
package logread

import (
	"context"
	"errors"
	"fmt"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
)

// ErrUnavailable wraps every error of talking to Kafka.
var ErrUnavailable = errors.New("logread: kafka unavailable")

// Entry is one event of a room with its cursor.
type Entry struct {
	Cursor int64
	Event  *codec.Event
}

// Reader reads ranges of the events topic. It is safe for concurrent use;
// every read uses a consumer of its own on the shared client.
type Reader struct {
	client     sarama.Client
	topic      string
	partitions int
}

// New returns a reader on client for the events topic of cfg.
func New(client sarama.Client, cfg kafka.Config) *Reader {
	return &Reader{client: client, topic: string(cfg.Names.Events), partitions: cfg.Partitions}
}

// Partition returns the partition that holds room.
func (r *Reader) Partition(room string) int32 { return kafka.Partition(room, r.partitions) }

// Bounds returns the first retained offset and the next offset to be written
// of the room's partition.
func (r *Reader) Bounds(room string) (start, end int64, err error) {
	p := r.Partition(room)
	if start, err = r.client.GetOffset(r.topic, p, sarama.OffsetOldest); err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if end, err = r.client.GetOffset(r.topic, p, sarama.OffsetNewest); err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return start, end, nil
}

// Scan calls fn with every valid event of room at a cursor in [from, to], in
// cursor order, until fn returns false. from is raised to the first retained
// offset and to is lowered to the last written one. It returns the first
// retained offset (a caller asking for less learns that retention cut some
// off) and the last offset it examined (from-1 if none).
func (r *Reader) Scan(ctx context.Context, room string, from, to int64, fn func(Entry) bool) (start, last int64, err error) {
	start, end, err := r.Bounds(room)
	if err != nil {
		return 0, 0, err
	}
	from = max(from, start)
	to = min(to, end-1)
	last = from - 1
	if from > to {
		return start, last, nil
	}
	consumer, err := sarama.NewConsumerFromClient(r.client)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	pc, err := consumer.ConsumePartition(r.topic, r.Partition(room), from)
	if err != nil {
		_ = consumer.Close()
		return 0, 0, fmt.Errorf("%w: read %s from %d: %w", ErrUnavailable, r.topic, from, err)
	}
	// Closing waits for the consumer's pending long poll to return; the
	// caller need not wait for that, so the close happens in the background.
	defer func() {
		go func() {
			pc.AsyncClose()
			for range pc.Messages() {
			}
			for range pc.Errors() {
			}
			_ = consumer.Close()
		}()
	}()
	for last < to {
		select {
		case <-ctx.Done():
			return start, last, fmt.Errorf("%w: read %s: %w", ErrUnavailable, r.topic, ctx.Err())
		case cerr := <-pc.Errors():
			return start, last, fmt.Errorf("%w: read %s: %w", ErrUnavailable, r.topic, cerr)
		case m := <-pc.Messages():
			if m.Offset > to {
				return start, last, nil
			}
			last = m.Offset
			if string(m.Key) != room {
				continue
			}
			// Pass over what the processors send to the dead-letter topic.
			e, err := codec.DecodeEvent(m.Value)
			if err != nil || e.Room != room {
				continue
			}
			if !fn(Entry{Cursor: m.Offset, Event: e}) {
				return start, last, nil
			}
		}
	}
	return start, last, nil
}
