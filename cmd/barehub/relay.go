package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/embedded"
	"github.com/chatstate/chatstate/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// relay puts a Kafka round trip under the hub's HTTP publishes (--relay-dir):
// a publish is written to the events topic of an embedded broker with the
// options of chatstate's server, and acknowledged when the broker is; the
// server's own follower (kafka.Follower, as its tail reads) reads the topic
// and the hub fans each record out. It measures what chatstate's way of
// delivering costs before any of its state: no processors, no views, no
// presence records, no rules.
type relay struct {
	broker  *embedded.Broker
	offsets sarama.Client // the follower's, for where partitions begin and end
	prod    *kgo.Client
	topic   string
	stop    context.CancelFunc // ends the follower
	wg      sync.WaitGroup
}

// relayed is a publish as the relay writes it to the log.
type relayed struct {
	Room string `json:"room"`
	User string `json:"user"`
	Text string `json:"text"`
}

// startRelay starts an embedded broker keeping its log under dir, makes
// chatstate's topics there, and starts the follower, which hands h each
// record until close.
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
	if r.offsets, err = sarama.NewClient(cfg.Brokers, cfg.Sarama("barehub-offsets")); err != nil {
		return nil, fmt.Errorf("relay offsets: %w", err)
	}
	f := kafka.NewFollower(cfg, "barehub-tail", r.offsets, r.topic, make([]int64, cfg.Partitions))
	ctx, stop := context.WithCancel(context.Background())
	r.stop = stop
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		_ = f.Run(ctx, kafka.FollowHandler{
			Record: func(rec *kgo.Record) {
				var m relayed
				if json.Unmarshal(rec.Value, &m) == nil {
					h.publish(nil, m.Room, m.User, m.Text, nil)
				}
			},
			Skipped: func(int32, int64, int64) {},
			PastEnd: func(int32, int64, int64) {},
			Error:   func(err error) { slog.Warn("relay", "err", err) },
		})
	}()
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

// close stops the follower and waits for it, then closes the producer, the
// offsets' client and the broker.
func (r *relay) close() {
	if r.stop != nil {
		r.stop()
	}
	r.wg.Wait()
	if r.prod != nil {
		r.prod.Close()
	}
	if r.offsets != nil {
		_ = r.offsets.Close()
	}
	_ = r.broker.Close()
}
