package replay

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/kafka"
	"golang.org/x/sync/errgroup"
)

// conn is a client and a reader of whole partitions, with large fetches.
type conn struct {
	cfg    kafka.Config
	client sarama.Client
	reader *kafka.Reader
}

func dial(cfg kafka.Config, id string) (*conn, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	sc := cfg.Sarama(id)
	// Fetches small enough that a partition's channel takes a whole one at
	// once: sarama fetches again only when every partition has taken the
	// last fetch, so the next is on its way while the fold works.
	sc.Consumer.Fetch.Default = 1 << 20
	sc.ChannelBufferSize = 16384
	// A partition is read whole, as fast as it is folded: never pause one
	// for being slow to take a fetch (sarama's default is 100 ms, after which
	// the partition sits out fetches and the read stalls).
	sc.Consumer.MaxProcessingTime = time.Minute
	// Every read is of a range known to be written, so a fetch never needs
	// to wait for more: this bounds the wait of a read's end for the fetch
	// in flight (a long poll at the partition's end).
	sc.Consumer.MaxWaitTime = 10 * time.Millisecond
	client, err := sarama.NewClient(cfg.Brokers, sc)
	if err != nil {
		return nil, fmt.Errorf("replay: connect to %v: %w", cfg.Brokers, err)
	}
	reader, err := kafka.NewReader(client)
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("replay: %w", err)
	}
	return &conn{cfg: cfg, client: client, reader: reader}, nil
}

func (c *conn) close() {
	_ = c.reader.Close()
	_ = c.client.Close()
}

// offsets returns the first retained and the next offset of every partition.
func (c *conn) offsets(topic string) (start, end []int64, err error) {
	n := c.cfg.Partitions
	if start, err = kafka.StartOffsets(c.client, topic, n); err == nil {
		end, err = kafka.EndOffsets(c.client, topic, n)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("replay: %w", err)
	}
	return start, end, nil
}

// committed returns a group's committed offset of every partition of topic,
// -1 where it has none.
func (c *conn) committed(group, topic string) ([]int64, error) {
	out, err := kafka.CommittedOffsets(c.client, group, topic, c.cfg.Partitions)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	return out, nil
}

// scan reads [from[p], to[p]) of every partition of topic, one goroutine per
// partition, calling fn(p) once per partition for the function that takes
// its records in offset order. done counts the records read. It returns
// where each partition's read began: from[p], or past it where retention
// deleted records before they were read.
func (c *conn) scan(ctx context.Context, topic string, from, to []int64, done *atomic.Int64, fn func(p int32) func(*sarama.ConsumerMessage)) ([]int64, error) {
	start := slices.Clone(from)
	g, gctx := errgroup.WithContext(ctx)
	for p := range int32(len(from)) {
		if from[p] >= to[p] {
			continue
		}
		each := fn(p)
		g.Go(func() (err error) {
			start[p], err = c.scanPartition(gctx, topic, p, from[p], to[p], done, each)
			return err
		})
	}
	return start, g.Wait()
}

// scanPartition reads [from, to) of partition p of topic and returns where
// the read began: from, or past it where retention deleted records first.
func (c *conn) scanPartition(ctx context.Context, topic string, p int32, from, to int64, done *atomic.Int64, each func(*sarama.ConsumerMessage)) (start int64, err error) {
	start = from
	var n int64
	defer func() { done.Add(n) }()
	_, err = c.reader.Read(ctx, topic, p, from, to, kafka.Handler{
		Record: func(m *sarama.ConsumerMessage) bool {
			each(m)
			if n++; n%4096 == 0 {
				done.Add(n)
				n = 0
			}
			return true
		},
		Skipped: func(_, next int64) { start = next },
	})
	if err != nil {
		return start, fmt.Errorf("replay: read %s/%d from %d: %w", topic, p, from, err)
	}
	return start, nil
}

// table is a copy of a table topic: the latest value of every key, read
// straight from the topic, as the processors and views see it. A record in
// a partition its key does not hash to is passed over, as goka never looks
// there.
type table struct {
	topic string
	rows  []map[string]*[]byte // per partition: key → latest value
	next  []int64              // per partition: next offset to read
	read  bool                 // the first update is done
}

func newTable(topic string, partitions int) *table {
	t := &table{topic: topic, rows: make([]map[string]*[]byte, partitions), next: make([]int64, partitions)}
	for p := range t.rows {
		t.rows[p] = map[string]*[]byte{}
	}
	return t
}

// update reads what was written since the last update, up to the end the
// topic has now, and returns the keys that changed (none on the first
// update). pr may be nil.
func (t *table) update(ctx context.Context, c *conn, pr *Progress) (map[string]bool, error) {
	start, end, err := c.offsets(t.topic)
	if err != nil {
		return nil, err
	}
	n := len(t.rows)
	changed := make([][]string, n)
	from := make([]int64, n)
	var total int64
	for p := range from {
		from[p] = max(t.next[p], start[p])
		total += max(end[p]-from[p], 0)
	}
	if pr == nil {
		pr = new(Progress)
	}
	pr.begin("reading "+t.topic, total)
	_, err = c.scan(ctx, t.topic, from, end, &pr.Done, func(p int32) func(*sarama.ConsumerMessage) {
		rows := t.rows[p]
		return func(m *sarama.ConsumerMessage) {
			if t.read {
				changed[p] = append(changed[p], string(m.Key))
			}
			// A known key's value is overwritten in place: no allocation
			// for the key, and none for the value unless it grew.
			if v := rows[string(m.Key)]; v != nil {
				if m.Value == nil {
					delete(rows, string(m.Key))
				} else {
					*v = append((*v)[:0], m.Value...)
				}
				return
			}
			if m.Value == nil {
				return
			}
			k := string(m.Key)
			if kafka.Partition(k, n) != p {
				return
			}
			v := append(make([]byte, 0, len(m.Value)), m.Value...)
			rows[k] = &v
		}
	})
	if err != nil {
		return nil, err
	}
	copy(t.next, end)
	t.read = true
	out := map[string]bool{}
	for _, ks := range changed {
		for _, k := range ks {
			out[k] = true
		}
	}
	return out, nil
}

// get returns the latest value of key, or nil.
func (t *table) get(key string) []byte {
	if v := t.rows[kafka.Partition(key, len(t.rows))][key]; v != nil {
		return *v
	}
	return nil
}
