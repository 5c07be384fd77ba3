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
	Cursor int64        // the event's offset in its partition
	Event  *codec.Event // decoded and valid; the callback may keep it
}

// Reader reads ranges of the events topic. It is safe for concurrent use;
// every scan uses a kafka.Reader of its own on the shared client, which it
// closes before it returns: a scan waits for its last fetch, so give the
// client a short Consumer.MaxWaitTime (a scan asks only for ranges known
// to be written).
type Reader struct {
	client     sarama.Client
	topic      string
	partitions int
}

// New returns a reader on client for the events topic of cfg. The caller
// keeps client, and closes it only after the reader's last call returned.
func New(client sarama.Client, cfg kafka.Config) *Reader {
	return &Reader{client: client, topic: string(cfg.Names.Events), partitions: cfg.Partitions}
}

// Partition returns the partition that holds room. It does not talk to
// Kafka.
func (r *Reader) Partition(room string) int32 { return kafka.Partition(room, r.partitions) }

// Bounds returns the first retained offset and the next offset to be written
// of the room's partition, asking Kafka for both (two requests, which it
// blocks on). Its errors wrap ErrUnavailable.
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
// off; it is raised past what retention deletes while the scan runs, which
// the scan passes over) and the last offset it examined (from-1 if none).
// It returns when fn said stop, to is passed or ctx ends, with no goroutine
// left running; errors, ctx's included, wrap ErrUnavailable.
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
	// A reader of its own: concurrent scans may read the same partition,
	// and sarama keeps one partition consumer per partition of a consumer.
	kr, err := kafka.NewReader(r.client)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer func() { _ = kr.Close() }()
	_, err = kr.Read(ctx, r.topic, r.Partition(room), from, to+1, kafka.Handler{
		Record: func(m *sarama.ConsumerMessage) bool {
			last = m.Offset
			if string(m.Key) != room {
				return true
			}
			// Pass over what the processors send to the dead-letter topic.
			e, err := codec.DecodeEvent(m.Value)
			if err != nil || e.Room != room {
				return true
			}
			return fn(Entry{Cursor: m.Offset, Event: e})
		},
		// Retention deleted records while the scan ran: the first retained
		// offset is past them.
		Skipped: func(_, to int64) { start = max(start, to) },
	})
	if err != nil {
		return start, last, fmt.Errorf("%w: read %s from %d: %w", ErrUnavailable, r.topic, from, err)
	}
	return start, last, nil
}
