package kafka

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// NoEnd as the end of a Read reads until its context ends.
const NoEnd int64 = math.MaxInt64

// ErrPastEnd is returned by Reader.Read when its position lies beyond the
// end of the partition: the log is shorter than the records the position
// counted (it was cut back, or the topic was made anew), so reading on
// would hand out different records under offsets already read.
var ErrPastEnd = errors.New("kafka: read position past the end of the partition")

// ErrPartitionBusy is returned by Reader.Read for a partition that another
// Read of the same Reader is reading.
var ErrPartitionBusy = errors.New("kafka: partition already being read by this reader")

// defaultBackoff is the wait before a partition is opened again after an
// error, when the client's Consumer.Retry.Backoff is zero.
const defaultBackoff = 100 * time.Millisecond

// Handler takes what a Read finds. Its functions are called on the
// goroutine that called Read, one at a time, never after Read returns.
type Handler struct {
	// Record is handed each record of the range in offset order, once
	// (offsets are increasing, not contiguous). It returns false to end
	// the Read. The message is the caller's to keep. Required.
	Record func(m *sarama.ConsumerMessage) bool
	// Skipped is told that the offsets [from, to) were deleted (by
	// retention or DeleteRecords) before the Read got to them: none of
	// them was handed to Record, and the Read goes on from to, the
	// partition's earliest offset. Nil means not told.
	Skipped func(from, to int64)
	// Error is told of every other error of the consumer or of the
	// brokers, and returns true to keep reading: sarama retries what it
	// can, and Read opens the partition again after a backoff (the
	// client's Consumer.Retry.Backoff; 100 ms if that is zero) where it
	// must. Nil means that the first error ends the Read. ErrPastEnd and
	// ErrPartitionBusy end the Read without being told here.
	Error func(err error) (keepReading bool)
}

func (h *Handler) keepReading(err error) bool { return h.Error != nil && h.Error(err) }

// Reader reads ranges of partitions through one sarama consumer on a shared
// client, and reads on past records that retention deleted under it.
//
// Reads of different partitions may run at once, from any goroutines, and
// share the consumer's fetch requests to each broker. A partition is read
// by one Read of a Reader at a time (sarama keeps one partition consumer
// per partition of a consumer); for concurrent reads of one partition, use
// a Reader each.
type Reader struct {
	client   sarama.Client
	consumer sarama.Consumer
	backoff  time.Duration

	mu   sync.Mutex
	busy map[topicPartition]bool
}

type topicPartition struct {
	topic     string
	partition int32
}

// NewReader returns a reader that fetches through client. The client's
// consumer settings apply: a Read returns only once its partition consumer
// has closed, which waits for the fetch in flight, up to
// Consumer.MaxWaitTime after the last record, so a client for short reads
// of known ranges wants a short MaxWaitTime.
func NewReader(client sarama.Client) (*Reader, error) {
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return nil, fmt.Errorf("kafka: consumer: %w", err)
	}
	backoff := client.Config().Consumer.Retry.Backoff
	if backoff <= 0 {
		backoff = defaultBackoff
	}
	return &Reader{client: client, consumer: consumer, backoff: backoff, busy: map[topicPartition]bool{}}, nil
}

// Close releases the reader's consumer; it leaves the client open. Call it
// after every Read has returned.
func (r *Reader) Close() error { return r.consumer.Close() }

// Read hands h.Record every record of partition of topic at an offset in
// [from, to), in offset order, until it has passed to-1, h.Record returns
// false, or ctx ends. to may be NoEnd. It returns next, the offset to read
// on from: one past the last record handed to h.Record, or the offset of
// the first record at or past to, or where deleted records made it jump.
//
// Where retention deleted records before the Read reached them (sarama
// then reports ErrOffsetOutOfRange and closes its partition consumer; a
// from below the earliest offset is the same), Read tells h.Skipped and
// goes on from the partition's earliest offset. Where the position lies
// past the partition's end, Read returns an error wrapping ErrPastEnd.
// Other errors go to h.Error.
//
// Read returns nil once to is reached or h.Record said stop, ctx.Err()
// when ctx ended, else the error that ended it. It starts no goroutine
// that outlives it: it waits for its partition consumer to close, at most
// one fetch (see NewReader).
func (r *Reader) Read(ctx context.Context, topic string, partition int32, from, to int64, h Handler) (next int64, err error) {
	tp := topicPartition{topic, partition}
	if !r.claim(tp) {
		return from, fmt.Errorf("%w: %s/%d", ErrPartitionBusy, topic, partition)
	}
	defer r.release(tp)
	next = from
	for next < to {
		if err := ctx.Err(); err != nil {
			return next, err
		}
		pc, err := r.consumer.ConsumePartition(topic, partition, next)
		if err == nil {
			var done bool
			next, done, err = consume(ctx, pc, next, to, &h)
			closePartition(pc)
			if done {
				return next, err
			}
		}
		// Either the partition could not be opened at next, or sarama
		// closed its consumer: both happen when retention deleted what
		// lies at next, so see where the partition begins now.
		if err == nil || errors.Is(err, sarama.ErrOffsetOutOfRange) {
			start, lerr := r.locate(topic, partition, next)
			switch {
			case lerr == nil && start > next:
				if h.Skipped != nil {
					h.Skipped(next, start)
				}
				next = start
				continue
			case errors.Is(lerr, ErrPastEnd):
				return next, lerr
			case lerr != nil:
				err = lerr
			case err == nil:
				err = fmt.Errorf("kafka: the consumer of %s/%d stopped at offset %d", topic, partition, next)
			}
		}
		if !h.keepReading(err) {
			return next, err
		}
		select {
		case <-ctx.Done():
			return next, ctx.Err()
		case <-time.After(r.backoff):
		}
	}
	return next, nil
}

// consume reads pc until the range is done (done true, with the error that
// ended it, if any) or sarama closes pc (done false, with the last error it
// reported, if any).
func consume(ctx context.Context, pc sarama.PartitionConsumer, next, to int64, h *Handler) (_ int64, done bool, _ error) {
	var cause error
	msgs, errs := pc.Messages(), pc.Errors()
	for {
		select {
		case <-ctx.Done():
			return next, true, ctx.Err()
		case cerr, ok := <-errs:
			switch {
			case !ok:
				// Closed after msgs: what msgs still buffers was fetched
				// before the close and is read on.
				errs = nil
			case errors.Is(cerr, sarama.ErrOffsetOutOfRange):
				// sarama closes pc next; the caller sees where to go on.
				cause = cerr
			case !h.keepReading(cerr):
				return next, true, cerr
			default:
				cause = cerr
			}
		case m, ok := <-msgs:
			if !ok {
				return next, false, cause
			}
			if m.Offset < next {
				continue
			}
			if m.Offset >= to {
				return m.Offset, true, nil
			}
			next = m.Offset + 1
			if !h.Record(m) || next >= to {
				return next, true, nil
			}
		}
	}
}

// closePartition closes pc and waits until sarama is done with it: the
// fetch in flight has returned and both channels are closed.
func closePartition(pc sarama.PartitionConsumer) {
	pc.AsyncClose()
	msgs, errs := pc.Messages(), pc.Errors()
	for msgs != nil || errs != nil {
		select {
		case _, ok := <-msgs:
			if !ok {
				msgs = nil
			}
		case _, ok := <-errs:
			if !ok {
				errs = nil
			}
		}
	}
}

// locate returns where a read at next goes on: next if the partition still
// holds it, else the partition's earliest offset if that is above next, or
// an error wrapping ErrPastEnd.
func (r *Reader) locate(topic string, partition int32, next int64) (int64, error) {
	oldest, err := r.client.GetOffset(topic, partition, sarama.OffsetOldest)
	if err != nil {
		return next, fmt.Errorf("kafka: earliest offset of %s/%d: %w", topic, partition, err)
	}
	if next < oldest {
		return oldest, nil
	}
	newest, err := r.client.GetOffset(topic, partition, sarama.OffsetNewest)
	if err != nil {
		return next, fmt.Errorf("kafka: end offset of %s/%d: %w", topic, partition, err)
	}
	if next > newest {
		return next, fmt.Errorf("%w: %s/%d ends at %d, the read was at %d", ErrPastEnd, topic, partition, newest, next)
	}
	return next, nil
}

func (r *Reader) claim(tp topicPartition) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.busy[tp] {
		return false
	}
	r.busy[tp] = true
	return true
}

func (r *Reader) release(tp topicPartition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.busy, tp)
}
