package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// FollowHandler takes what a Follower reads. Its functions are called on
// the goroutine that runs the Follower, one at a time.
type FollowHandler struct {
	// Record is handed each record, once, in offset order per partition
	// (offsets are increasing, not contiguous). The record is the
	// handler's to keep. Required.
	Record func(r *kgo.Record)
	// Skipped is told that offsets [from, to) of partition p were deleted
	// (by retention or DeleteRecords) before the follower read them; it
	// reads on from to, the partition's earliest offset. Required.
	Skipped func(p int32, from, to int64)
	// PastEnd is told that partition p ends at end, below next, the offset
	// it was to read: the log is shorter than what was read (it was cut
	// back, or the topic made anew). It reads on from end. Required.
	PastEnd func(p int32, next, end int64)
	// Error is told of every other error; the follower reads on, and kgo
	// retries what it can. Required.
	Error func(err error)
}

// Follower reads every partition of a topic from given offsets as records
// are written, through one franz-go (kgo) client, without a consumer
// group: the server's tail. kgo hands a fetch straight to the goroutine
// that polls, where sarama's consumer passes each one through three
// goroutines, and a tail fetches once per record or so.
//
// Where kgo finds its position out of range, it stops that partition
// (ConsumeResetOffset(NoResetOffset)) and the follower looks, through a
// sarama client, at where the partition begins and ends now: records
// deleted under it are Skipped, a log shorter than what was read is
// PastEnd; either way it reads on from what is there.
type Follower struct {
	opts    []kgo.Opt
	cl      *kgo.Client // made by Run
	offsets sarama.Client
	topic   string
	next    []int64 // the offset to read next, per partition; Run's own
}

// NewFollower returns a follower of topic, whose partition p is read from
// start[p], with c's brokers and security; offsets lists the partitions'
// ends when they are out of range. extra options come last (tests use
// them to fetch little at a time). It connects nothing: Run makes the
// client, from where the partitions are then.
func NewFollower(c Config, clientID string, offsets sarama.Client, topic string, start []int64, extra ...kgo.Opt) *Follower {
	opts := append(c.kgoClient(clientID),
		kgo.ConsumeResetOffset(kgo.NoResetOffset()),
		// A fetch returns with the first record written: the tail is on
		// the delivery path. The wait bounds an idle fetch only.
		kgo.FetchMaxWait(250*time.Millisecond),
		// What a fetch may bring, as sarama's consumer fetched: 1 MiB a
		// partition, and no more than 8 MiB at once (kgo's default is
		// 50 MiB, held until dispatched, when a server catches up).
		kgo.FetchMaxPartitionBytes(1<<20),
		kgo.FetchMaxBytes(8<<20),
	)
	return &Follower{opts: append(opts, extra...), offsets: offsets, topic: topic, next: append([]int64(nil), start...)}
}

// Run reads until ctx is done, hands h what it reads, and closes the
// client: it returns once every goroutine of the client has ended, nil
// after ctx ended, or at once the error of options kgo refuses. Call it
// once.
func (f *Follower) Run(ctx context.Context, h FollowHandler) error {
	// Where the log no longer holds a start offset, it is told before
	// anything is read, as sarama's consumer tells it when a partition is
	// opened: a client that joins meanwhile is not sent to resume for
	// records deleted before it came.
	for p := range f.next {
		f.locate(int32(p), h)
	}
	parts := make(map[int32]kgo.Offset, len(f.next))
	for p, off := range f.next {
		parts[int32(p)] = kgo.NewOffset().At(off)
	}
	cl, err := kgo.NewClient(append(f.opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{f.topic: parts}))...)
	if err != nil {
		return fmt.Errorf("kafka: follow %s: %w", f.topic, err)
	}
	f.cl = cl
	defer f.cl.Close()
	for {
		fs := f.cl.PollFetches(ctx)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return nil
		}
		fs.EachError(func(_ string, p int32, err error) {
			switch {
			case errors.Is(err, context.Canceled):
			case errors.Is(err, kerr.OffsetOutOfRange):
				f.relocate(ctx, p, h)
			default:
				h.Error(fmt.Errorf("kafka: follow %s/%d: %w", f.topic, p, err))
			}
		})
		fs.EachPartition(func(ftp kgo.FetchTopicPartition) {
			p := ftp.Partition
			if int(p) >= len(f.next) {
				return
			}
			for _, r := range ftp.Records {
				if r.Offset < f.next[p] {
					continue
				}
				f.next[p] = r.Offset + 1
				h.Record(r)
			}
		})
	}
}

// locate tells h if partition p no longer holds f.next[p] (Skipped or
// PastEnd) and moves f.next[p] to what is there. An error listing the
// offsets is told to h.Error and leaves f.next[p]: kgo will find it out of
// range, and relocate will.
func (f *Follower) locate(p int32, h FollowHandler) (ok bool) {
	next := f.next[p]
	start, err := f.offsets.GetOffset(f.topic, p, sarama.OffsetOldest)
	var end int64
	if err == nil {
		end, err = f.offsets.GetOffset(f.topic, p, sarama.OffsetNewest)
	}
	if err != nil {
		h.Error(fmt.Errorf("kafka: follow %s/%d: the offsets at %d: %w", f.topic, p, next, err))
		return false
	}
	switch {
	case start > next:
		h.Skipped(p, next, start)
		next = start
	case next > end:
		h.PastEnd(p, next, end)
		next = end
	}
	f.next[p] = next
	return true
}

// relocate finds where partition p, which kgo found out of range at
// f.next[p], begins and ends now, tells h, and has kgo read on from there.
// Until the offsets can be listed it tells h.Error and tries again, as
// long as ctx lasts.
func (f *Follower) relocate(ctx context.Context, p int32, h FollowHandler) {
	for !f.locate(p, h) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(defaultBackoff):
		}
	}
	f.cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{f.topic: {p: {Epoch: -1, Offset: f.next[p]}}})
}
