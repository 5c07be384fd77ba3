package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsAreServedAndReadAtScrapeTime(t *testing.T) {
	var ready, roomsReady atomic.Bool
	m := NewMetrics(ready.Load, map[string]func() bool{"rooms": roomsReady.Load, "users": func() bool { return true }})
	m.Joins.Add(3)
	m.Errors.WithLabelValues("bad_request").Inc()
	s := httptest.NewServer(m.Handler())
	defer s.Close()

	scrape := func() string {
		t.Helper()
		resp, err := http.Get(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("scrape: %d %v", resp.StatusCode, err)
		}
		return string(b)
	}
	has := func(body string, lines ...string) {
		t.Helper()
		for _, l := range lines {
			if !strings.Contains(body, "\n"+l+"\n") {
				t.Errorf("scrape lacks %q", l)
			}
		}
	}
	has(scrape(), "chatstate_ready 0", `chatstate_view_ready{table="rooms"} 0`, `chatstate_view_ready{table="users"} 1`,
		"chatstate_joins_total 3", `chatstate_request_errors_total{code="bad_request"} 1`, "chatstate_dead_letters 0")
	ready.Store(true)
	roomsReady.Store(true)
	has(scrape(), "chatstate_ready 1", `chatstate_view_ready{table="rooms"} 1`)

	// Every metric has help and a name Prometheus accepts.
	problems, err := testutil.GatherAndLint(m.Registry)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "chatstate_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}

// TestLagIsEndMinusCommitted writes records to the events, presence and
// dead-letter topics of a real broker, commits offsets for the rooms group,
// and reads the gauges: a committed partition lags by end − committed, an
// uncommitted one by its whole log, a group that never committed by all.
func TestLagIsEndMinusCommitted(t *testing.T) {
	kcfg := testenv.Kafka(t, 2)
	names := kcfg.Names
	sc := sarama.NewConfig()
	sc.Producer.Return.Successes = true
	sc.Producer.Partitioner = sarama.NewManualPartitioner
	prod := testenv.Producer(t, kcfg.Brokers, sc)
	write := func(topic string, partition int32, n int) {
		t.Helper()
		for range n {
			// Keyed: Apache Kafka refuses a record without a key in a
			// compacted topic, which the table topics are.
			if _, _, err := prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: partition, Key: sarama.StringEncoder("k"), Value: sarama.StringEncoder("x")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(string(names.Events), 0, 5)
	write(string(names.Events), 1, 2)
	write(string(names.Presence), 1, 4)
	write(string(names.DeadLetter), 0, 3)
	write(string(names.RoomsTable()), 0, 4)
	write(string(names.RoomsTable()), 1, 2)

	client := testenv.KafkaClient(t, kcfg.Brokers, nil)
	// A simple commit (generation -1, no member) as an operator's tool
	// makes it: the group has no live member, only a committed offset.
	coord, err := client.Coordinator(string(names.RoomsGroup))
	if err != nil {
		t.Fatal(err)
	}
	req := &sarama.OffsetCommitRequest{Version: 2, ConsumerGroup: string(names.RoomsGroup), ConsumerGroupGeneration: -1}
	req.AddBlock(string(names.Events), 0, 3, 0, "")
	resp, err := coord.CommitOffset(req)
	if err != nil {
		t.Fatal(err)
	}
	if kerr := resp.Errors[string(names.Events)][0]; kerr != sarama.ErrNoError {
		t.Fatalf("commit: %v", kerr)
	}

	g := NewKafkaGauges()
	// A view of the rooms table that applied offset 1 of partition 0 and
	// nothing of partition 1 lags by 2 and 2; one that cannot tell is not
	// reported.
	g.Views = map[string]ViewOffsets{
		"rooms": {Topic: string(names.RoomsTable()), Applied: func(n int) ([]int64, error) { return []int64{1, -1}[:n], nil }},
		"users": {Topic: string(names.UsersTable()), Applied: func(int) ([]int64, error) { return nil, errors.New("not started") }},
	}
	want := map[[3]string]float64{
		{string(names.RoomsGroup), string(names.Events), "0"}:       2,
		{string(names.RoomsGroup), string(names.Events), "1"}:       2,
		{string(names.UsersGroup), string(names.Presence), "0"}:     0,
		{string(names.UsersGroup), string(names.Presence), "1"}:     4,
		{string(names.ServersGroup), string(names.Presence), "1"}:   4,
		{string(names.ServersGroup), string(names.Heartbeats), "0"}: 0,
	}
	// The commit may take a moment to be visible to the offset fetch.
	testenv.WaitFor(t, 10*time.Second, func() error {
		RefreshLag(client, kcfg, g)
		for k, v := range want {
			if got := testutil.ToFloat64(g.Lag.WithLabelValues(k[0], k[1], k[2])); got != v {
				return fmt.Errorf("lag %v = %v, want %v", k, got, v)
			}
		}
		return nil
	})
	if got := testutil.ToFloat64(g.DeadLetters); got != 3 {
		t.Fatalf("dead letters %v, want 3", got)
	}
	if got := testutil.ToFloat64(g.ViewLag.WithLabelValues("rooms")); got != 4 {
		t.Fatalf("view lag of rooms %v, want 4", got)
	}
	if n := testutil.CollectAndCount(g.ViewLag); n != 1 {
		t.Fatalf("view lag reported for %d tables, want rooms alone", n)
	}
}

// TestProbeReportsKafkaLostAndBack points the probe at a listener, closes
// it and opens it again on the same port.
func TestProbeReportsKafkaLostAndBack(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	var mu sync.Mutex
	var reports []string
	last := func() (string, int) {
		mu.Lock()
		defer mu.Unlock()
		if len(reports) == 0 {
			return "none", 0
		}
		return reports[len(reports)-1], len(reports)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ProbeKafka(ctx, []string{addr}, slog.New(slog.DiscardHandler), func(down string) {
			mu.Lock()
			reports = append(reports, down)
			mu.Unlock()
		})
	}()
	defer func() { cancel(); <-done }()

	waitReport := func(what string, ok func(string) bool) {
		t.Helper()
		testenv.WaitFor(t, 15*time.Second, func() error {
			if r, _ := last(); !ok(r) {
				return fmt.Errorf("waiting for %s, last report %q", what, r)
			}
			return nil
		})
	}
	waitReport("up", func(r string) bool { return r == "" })
	ln.Close()
	waitReport("down", func(r string) bool { return strings.HasPrefix(r, "kafka not reachable: ") && strings.Contains(r, addr) })
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s was taken meanwhile: %v", addr, err)
	}
	defer ln.Close()
	waitReport("back", func(r string) bool { return r == "" })

	// It reports every second, not only on change: four more reports come
	// within generous slack of their four seconds.
	_, n := last()
	testenv.WaitFor(t, 30*time.Second, func() error {
		if _, m := last(); m < n+4 {
			return fmt.Errorf("%d reports since, want 4", m-n)
		}
		return nil
	})
}
