package fanout

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
)

// counter returns the value of the counter name in reg, or -1.
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return -1
}

// stubSubscriber is a subscriber that takes every frame and drops it.
type stubSubscriber struct{ session string }

func (s *stubSubscriber) Enqueue([]byte) bool { return true }
func (s *stubSubscriber) Session() string     { return s.session }
func (s *stubSubscriber) User() string        { return "u-" + s.session }
func (s *stubSubscriber) Close(int, string)   {}

// TestTailRetentionUnderRead: retention deletes records that a running tail
// has not read yet (kgo finds its position out of range and stops the
// partition). The tail does not crash: it logs and
// counts the offsets it missed, dispatches what is left and what is
// written next, and ends with its context, leaving no goroutine behind.
func TestTailRetentionUnderRead(t *testing.T) {
	kcfg := testenv.Kafka(t, 1)
	topic := string(kcfg.Names.Events)
	prod := testenv.Producer(t, kcfg.Brokers, kcfg.Sarama("test-writer"))
	send := func(n int) {
		t.Helper()
		for range n {
			e := codec.NewEvent(codec.Message, "r", "alice")
			e.Session, e.Text = "s1", "hi"
			v, err := codec.EventCodec{}.Encode(&e)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder("r"), Value: sarama.ByteEncoder(v)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(40)

	// One record per fetch, and kgo buffers one fetch ahead of the poll,
	// so that the tail fetches only a few records ahead of its dispatch;
	// the first dispatch waits until retention has deleted below 30.
	client := testenv.KafkaClient(t, kcfg.Brokers, kcfg.Sarama("test-tail"))
	held, release := make(chan struct{}), make(chan struct{})
	observed := 0
	var logs testenv.SyncBuffer
	reg := prometheus.NewRegistry()
	invalid := prometheus.NewCounter(prometheus.CounterOpts{Name: "invalid"})
	reg.MustRegister(invalid)
	tl := NewTail(TailConfig{Kafka: kcfg, Client: client, Opts: []kgo.Opt{kgo.FetchMaxBytes(64), kgo.FetchMaxPartitionBytes(64)}, Topic: topic, Hub: NewHub(1, 1024, prometheus.NewCounter(prometheus.CounterOpts{Name: "deliveries"})),
		Log: slog.New(slog.NewTextHandler(&logs, nil)), Partitions: 1, Invalid: invalid, Registerer: reg,
		Latency: prometheus.ObserverFunc(func(float64) {
			if observed++; observed == 1 {
				close(held)
				<-release
			}
		})})
	if err := tl.Open(); err != nil {
		t.Fatal(err)
	}
	tl.start[0] = 0 // behind, as a tail that fell behind
	// Connections of rooms of the partition: one whose stream is before
	// the cut (in two rooms), one whose snapshot is past it, one whose join
	// is on its way. The first and the last are sent to resume, once each.
	lagging, past, joining := &stubSubscriber{"lagging"}, &stubSubscriber{"past"}, &stubSubscriber{"joining"}
	tl.hub.parts[0].subs["quiet"] = map[Subscriber]*Subscription{
		lagging: {conn: lagging, room: "quiet", live: true, floor: 5, last: 10},
		past:    {conn: past, room: "quiet", live: true, floor: 29, last: -1},
		joining: {conn: joining, room: "quiet", floor: -1, last: -1},
	}
	tl.hub.parts[0].subs["calm"] = map[Subscriber]*Subscription{lagging: {conn: lagging, room: "calm", live: true, floor: 3, last: 3}}
	resumed := map[Subscriber]int{}
	tl.missed = func(c Subscriber) { resumed[c]++ }
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("tail: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the tail did not end with its context")
		}
	}()

	<-held
	admin, err := sarama.NewClusterAdmin(kcfg.Brokers, kcfg.Sarama("test-admin"))
	if err != nil {
		t.Fatal(err)
	}
	err = admin.DeleteRecords(topic, map[int32]int64{0: 30})
	_ = admin.Close()
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	send(1)
	testenv.WaitFor(t, 20*time.Second, func() error {
		if first, last := tl.hub.Seen("r"); first != 0 || last != 40 {
			return fmt.Errorf("dispatched cursors %d to %d, want 0 to 40", first, last)
		}
		return nil
	})
	skipped := counter(t, reg, "chatstate_tail_skipped_offsets_total")
	if skipped < 1 || skipped >= 30 || counter(t, reg, "invalid") != 0 {
		t.Fatalf("skipped %v offsets, want 30 less what was fetched before the cut; %v invalid", skipped, counter(t, reg, "invalid"))
	}
	if want := fmt.Sprintf("from=%d to=30", 30-int(skipped)); !strings.Contains(logs.String(), want) {
		t.Fatalf("the log does not say %q:\n%s", want, logs.String())
	}
	if observed != 40-int(skipped)+1 {
		t.Fatalf("%d events dispatched, want %d", observed, 40-int(skipped)+1)
	}
	if len(resumed) != 2 || resumed[lagging] != 1 || resumed[joining] != 1 {
		t.Fatalf("sent to resume: lagging %d, past the cut %d, joining %d times; want 1, 0, 1",
			resumed[lagging], resumed[past], resumed[joining])
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil
	testenv.WaitFor(t, 5*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > base {
			return fmt.Errorf("%d goroutines, %d before the tail ran", n, base)
		}
		return nil
	})
}
