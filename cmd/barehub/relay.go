package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/chatstate/chatstate/embedded"
	"github.com/chatstate/chatstate/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// relay puts a Kafka round trip under the hub's HTTP publishes (--relay-dir):
// a publish is written to the events topic of an embedded broker with the
// options of chatstate's server, and acknowledged when the broker is; a
// tail reads the topic as chatstate's follower does (a fetch returns with
// the first record written) and fans each record out through the hub. It
// measures what chatstate's way of delivering costs before any of its
// state: no processors, no views, no presence records, no rules.
type relay struct {
	broker *embedded.Broker
	prod   *kgo.Client
	tail   *kgo.Client
	topic  string
	wg     sync.WaitGroup
}

// relayed is a publish as the relay writes it to the log.
type relayed struct {
	Room string `json:"room"`
	User string `json:"user"`
	Text string `json:"text"`
}

// startRelay starts an embedded broker keeping its log under dir, makes
// chatstate's topics there, and starts the tail, which hands h each record
// until close.
func startRelay(dir string, h *hub) (_ *relay, err error) {
	b, err := embedded.Start(embedded.Config{Addr: "127.0.0.1:0", DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	r := &relay{broker: b}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	cfg, err := kafka.Config{Brokers: []string{b.Addr()}, Replication: 1, Dial: b.Dial}.WithDefaults()
	if err != nil {
		return nil, err
	}
	if err := kafka.EnsureTopics(cfg); err != nil {
		return nil, err
	}
	r.topic = string(cfg.Names.Events)
	if r.prod, err = kgo.NewClient(cfg.Producer("barehub")...); err != nil {
		return nil, fmt.Errorf("relay producer: %w", err)
	}
	r.tail, err = kgo.NewClient(
		kgo.SeedBrokers(b.Addr()), kgo.Dialer(b.Dial), kgo.ClientID("barehub-tail"),
		kgo.ConsumeTopics(r.topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(250e6), kgo.FetchMaxPartitionBytes(1<<20), kgo.FetchMaxBytes(8<<20),
	)
	if err != nil {
		return nil, fmt.Errorf("relay tail: %w", err)
	}
	r.wg.Add(1)
	go r.follow(h)
	return r, nil
}

// publish writes a message and returns its offset once the broker has it.
func (r *relay) publish(ctx context.Context, room, user, text string) (int64, error) {
	v, err := json.Marshal(relayed{room, user, text})
	if err != nil {
		return 0, err
	}
	res := r.prod.ProduceSync(ctx, &kgo.Record{Topic: r.topic, Key: []byte(room), Value: v})
	rec, err := res.First()
	if err != nil {
		return 0, err
	}
	return rec.Offset, nil
}

// follow hands h every record of the topic, in order per partition, until
// the tail's client is closed.
func (r *relay) follow(h *hub) {
	defer r.wg.Done()
	for {
		fs := r.tail.PollFetches(context.Background())
		if fs.IsClientClosed() {
			return
		}
		fs.EachRecord(func(rec *kgo.Record) {
			var m relayed
			if json.Unmarshal(rec.Value, &m) == nil {
				h.publish(nil, m.Room, m.User, m.Text, nil)
			}
		})
	}
}

// close stops the tail, the producer and the broker, and waits for the
// tail's goroutine.
func (r *relay) close() {
	if r.tail != nil {
		r.tail.Close()
	}
	r.wg.Wait()
	if r.prod != nil {
		r.prod.Close()
	}
	_ = r.broker.Close()
}
