package fanout

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Tail reads every partition of the events topic, without a consumer group,
// from the end as it was at start, and dispatches each valid event to the
// hub in offset order per partition. It reads through one kgo client
// (kafka.Follower) and dispatches on the goroutine that polls it. Records that do not decode or
// validate are passed over, as the processors pass them over. Where
// retention deleted records before the tail read them, it reads on from
// what is left, and logs and counts the offsets it missed.
type Tail struct {
	client sarama.Client
	kcfg   kafka.Config
	opts   []kgo.Opt
	topic  string
	hub    *Hub
	log    *slog.Logger
	// partitions of the events topic, to recognize misplaced records.
	partitions int
	// invalid counts the records passed over (the dead letters of the log).
	invalid prometheus.Counter
	// latency observes each event's time from its record timestamp to its
	// dispatch.
	latency prometheus.Observer
	// reg, if not nil, takes the tail's own metrics: open registers them.
	reg prometheus.Registerer
	// skipped counts the offsets deleted before the tail read them.
	skipped prometheus.Counter
	// start is the offset each partition was read from.
	start []int64
	// missed, if not nil, is called for each connection that may have
	// missed events the tail skipped; the server closes it, so that its
	// client resumes and learns of the gap.
	missed func(Subscriber)
}

// TailConfig is what a Tail reads and where it reports.
type TailConfig struct {
	// Kafka is where the tail's own kgo client reads from, with its
	// security.
	Kafka kafka.Config
	// Client lists the events topic's offsets; the tail does not close it.
	Client sarama.Client
	// Opts are more options of the tail's kgo client, after its own
	// (tests fetch little at a time).
	Opts []kgo.Opt
	// Topic is the events topic, of Partitions partitions.
	Topic      string
	Partitions int
	// Hub takes the events.
	Hub *Hub
	// Log receives the tail's warnings and errors.
	Log *slog.Logger
	// Invalid counts the records passed over (the dead letters of the log).
	Invalid prometheus.Counter
	// Latency observes each event's time from its record timestamp to its
	// dispatch.
	Latency prometheus.Observer
	// Registerer, if not nil, takes the tail's own metrics (Open registers
	// chatstate_tail_skipped_offsets_total).
	Registerer prometheus.Registerer
	// Missed, if not nil, is called, on the tail's goroutine, with each
	// subscriber that may have missed events that retention deleted before
	// the tail read them; it must not block.
	Missed func(Subscriber)
}

// NewTail returns a tail as cfg says; Open it, then Run it.
func NewTail(cfg TailConfig) *Tail {
	return &Tail{client: cfg.Client, kcfg: cfg.Kafka, opts: cfg.Opts, topic: cfg.Topic, hub: cfg.Hub, log: cfg.Log, partitions: cfg.Partitions,
		invalid: cfg.Invalid, latency: cfg.Latency, reg: cfg.Registerer, missed: cfg.Missed}
}

// Open resolves the start offsets (the end of each partition now) and
// registers the metrics. It is separate from Run so that the server knows
// them (Start) before anything else starts. Call it once, before Run.
func (t *Tail) Open() error {
	partitions := t.partitions
	start, err := kafka.EndOffsets(t.client, t.topic, partitions)
	if err != nil {
		return fmt.Errorf("fanout: tail: %w", err)
	}
	t.start = start
	t.skipped = prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_tail_skipped_offsets_total",
		Help: "Offsets of the events topic that retention deleted before the tail read them: events the connections of their rooms missed."})
	if t.reg != nil {
		if err := t.reg.Register(t.skipped); err != nil {
			return fmt.Errorf("fanout: tail: %w", err)
		}
	}
	return nil
}

// Run reads until ctx is done, and returns once the reads have ended. Call
// it once, after Open.
func (t *Tail) Run(ctx context.Context) error {
	f := kafka.NewFollower(t.kcfg, "tail", t.client, t.topic, t.start, t.opts...)
	err := f.Run(ctx, kafka.FollowHandler{
		Record:  t.record,
		Skipped: t.skip,
		PastEnd: func(p int32, next, end int64) {
			// The log lost records the tail has read. What is written
			// from now on is still to be delivered.
			t.log.Error("tail: the partition is shorter than what the tail has read; reading on from its end",
				"partition", p, "next", next, "end", end)
		},
		Error: func(err error) { t.log.Warn("tail read error", "err", err) },
	})
	if err != nil {
		return fmt.Errorf("fanout: tail: %w", err)
	}
	return nil
}

// Start returns the offset each partition is read from, as Open resolved
// it. The caller must not modify it.
func (t *Tail) Start() []int64 { return t.start }

// skip reports offsets [from, to) of partition p that were deleted before
// the tail read them, and hands the connections that may have missed them
// to missed. The live stream has no frame for a gap; a resume has one
// (truncated), so those clients are sent to resume.
func (t *Tail) skip(p int32, from, to int64) {
	t.skipped.Add(float64(to - from))
	conns := t.hub.behind(int(p), to)
	t.hub.dropCopies(int(p))
	t.log.Warn("tail: retention deleted events before the tail read them; the connections of the partition's rooms missed them",
		"partition", p, "from", from, "to", to, "connections", len(conns))
	if t.missed != nil {
		for _, c := range conns {
			t.missed(c)
		}
	}
}

// record passes over what the processors send to the dead-letter topic
// (what does not decode, and what sits in the wrong partition) and
// dispatches the rest.
func (t *Tail) record(m *kgo.Record) {
	e, err := codec.DecodeEvent(m.Value)
	if err != nil || string(m.Key) != e.Room || kafka.Partition(e.Room, t.partitions) != m.Partition {
		t.invalid.Inc()
		return
	}
	// Observed before the hand-off, so that a client never sees an event
	// the histogram does not count yet.
	if !m.Timestamp.IsZero() {
		t.latency.Observe(time.Since(m.Timestamp).Seconds())
	}
	t.dispatch(e, m.Offset)
}

// dispatch hands one event to the hub; a panic there is logged with its
// stack and costs that event's delivery, not the process.
func (t *Tail) dispatch(e *codec.Event, offset int64) {
	defer func() {
		if r := recover(); r != nil {
			t.log.Error("panic while dispatching an event", "room", e.Room, "cursor", offset, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	t.hub.Dispatch(e, offset, func() []byte { return protocol.EncodeEvent(offset, e) })
}
