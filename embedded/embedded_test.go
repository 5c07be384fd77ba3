package embedded_test

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/embedded"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
)

// configOn returns a configuration of one prefix on the broker at addr.
func configOn(t *testing.T, addr string) kafka.Config {
	t.Helper()
	cfg, err := kafka.Config{Brokers: []string{addr}, Names: kafka.NewNames("emb"), Partitions: 2}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func epochOf(t *testing.T, cfg kafka.Config) string {
	t.Helper()
	client := testenv.KafkaClient(t, cfg.Brokers, cfg.Sarama("test-epoch"))
	e, err := kafka.Epoch(client, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// readAll reads partition p of topic from its start up to its end offset
// at the time of the call, within a deadline.
func readAll(t *testing.T, cfg kafka.Config, topic string, p int32) []*sarama.ConsumerMessage {
	t.Helper()
	client := testenv.KafkaClient(t, cfg.Brokers, cfg.Sarama("test-reader"))
	end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
	if err != nil {
		t.Fatal(err)
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var out []*sarama.ConsumerMessage
	deadline := time.After(20 * time.Second)
	for int64(len(out)) < end {
		select {
		case m := <-pc.Messages():
			out = append(out, m)
		case err := <-pc.Errors():
			t.Fatalf("read %s/%d: %v", topic, p, err)
		case <-deadline:
			t.Fatalf("read %s/%d: %d of %d records within 20s", topic, p, len(out), end)
		}
	}
	return out
}

// TestRestartOnTheDataDir: what a broker on a data dir acknowledged is
// there, at the same offsets, after it is closed and started again on the
// same dir; the cluster id persists, so the epoch of the log stays.
func TestRestartOnTheDataDir(t *testing.T) {
	dir := t.TempDir()
	b, cfg, prod := startWriting(t, dir)
	topic := string(cfg.Names.Events)
	var err error
	type rec struct {
		key, value string
		partition  int32
		offset     int64
	}
	var want []rec
	for i := range 6 {
		r := rec{key: fmt.Sprintf("k%d", i%2), value: fmt.Sprintf("v%d", i), partition: int32(i % 2)}
		r.partition, r.offset, err = prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: r.partition,
			Key: sarama.StringEncoder(r.key), Value: sarama.StringEncoder(r.value)})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	if err := prod.Close(); err != nil {
		t.Fatal(err)
	}
	epoch := epochOf(t, cfg)
	if err := b.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	b, err = embedded.Start(embedded.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := b.Close(); err != nil {
			t.Errorf("close after the restart: %v", err)
		}
	}()
	cfg = configOn(t, b.Addr())
	if e := epochOf(t, cfg); e != epoch {
		t.Errorf("epoch %s after the restart, %s before", e, epoch)
	}
	var got []rec
	for p := range int32(2) {
		for _, m := range readAll(t, cfg, topic, p) {
			got = append(got, rec{string(m.Key), string(m.Value), m.Partition, m.Offset})
		}
	}
	byPlace := func(rs []rec) map[[2]int64]rec {
		m := map[[2]int64]rec{}
		for _, r := range rs {
			m[[2]int64{int64(r.partition), r.offset}] = r
		}
		return m
	}
	if len(got) != len(want) || !maps.Equal(byPlace(got), byPlace(want)) {
		t.Fatalf("after the restart: %v\nwant %v", got, want)
	}
}

// TestFreshDirsAreNewLogs: two brokers on fresh data dirs (or none) have
// different cluster ids, so the epochs of their logs differ even for the
// same topic names.
func TestFreshDirsAreNewLogs(t *testing.T) {
	var epochs []string
	for _, dir := range []string{t.TempDir(), t.TempDir(), ""} {
		b, cfg := startWithTopics(t, dir)
		epochs = append(epochs, epochOf(t, cfg))
		if err := b.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
	}
	if epochs[0] == epochs[1] || epochs[0] == epochs[2] || epochs[1] == epochs[2] {
		t.Fatalf("epochs %v, want three different ones", epochs)
	}
}

// TestBadAddr: an address that cannot be listened on is an error wrapping
// ErrAddr, before anything starts.
func TestBadAddr(t *testing.T) {
	for _, addr := range []string{"nocolon", "127.0.0.1:port", "127.0.0.1:70000", "127.0.0.1:-1"} {
		if b, err := embedded.Start(embedded.Config{Addr: addr}); !errors.Is(err, embedded.ErrAddr) {
			if b != nil {
				_ = b.Close()
			}
			t.Errorf("Start on %q: %v, want ErrAddr", addr, err)
		}
	}
}

// TestCloseReportsAFailedPersist: when the broker cannot write its state to
// its data dir at Close (here the dir was replaced by a file, which stops
// even a process that ignores file permissions), Close returns an error
// wrapping ErrPersist, the configured logger got the error, and a second
// Close returns the same error without blocking.
func TestCloseReportsAFailedPersist(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var logs testenv.SyncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := embedded.Start(embedded.Config{DataDir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	cfg := configOn(t, b.Addr())
	if err := kafka.EnsureTopics(cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = b.Close()
	if !errors.Is(err, embedded.ErrPersist) || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("close: %v, want ErrPersist with the cause", err)
	}
	if again := b.Close(); again != err {
		t.Fatalf("second close: %v, want the first's %v", again, err)
	}
	if s := logs.String(); !strings.Contains(s, "level=ERROR") || !strings.Contains(s, "persist to disk") {
		t.Fatalf("the logger got %q, want the persist error", s)
	}
}

// TestCloseWithoutDataDir: a broker in memory has nothing to persist; Close
// returns nil, and again on a second call.
func TestCloseWithoutDataDir(t *testing.T) {
	b, err := embedded.Start(embedded.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

// TestDataDirLocked: a second broker on a data dir that a broker holds is
// refused before it opens anything there, with an error wrapping
// ErrDataDirInUse that names the dir; the first keeps serving, and once it
// is closed the dir is free again, with what it acknowledged.
func TestDataDirLocked(t *testing.T) {
	dir := t.TempDir()
	b, cfg, prod := startWriting(t, dir)
	topic := string(cfg.Names.Events)
	var err error
	send := func(v string) {
		t.Helper()
		if _, _, err := prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder("k"), Value: sarama.StringEncoder(v)}); err != nil {
			t.Fatal(err)
		}
	}
	send("first")
	before := filesOf(t, dir)

	second, err := embedded.Start(embedded.Config{DataDir: dir})
	if err == nil {
		_ = second.Close()
		t.Fatal("a second broker started on the data dir")
	}
	if want := "embedded: data directory in use: " + dir + " is used by another broker of this process"; !errors.Is(err, embedded.ErrDataDirInUse) || err.Error() != want {
		t.Fatalf("second Start: %v, want %q", err, want)
	}
	if after := filesOf(t, dir); !maps.Equal(after, before) {
		t.Fatalf("the refused broker changed the data dir:\nbefore %v\nafter  %v", before, after)
	}
	send("second")
	if err := prod.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	b, err = embedded.Start(embedded.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("start after the first closed: %v", err)
	}
	defer b.Close()
	var got []string
	for p := range int32(2) {
		for _, m := range readAll(t, configOn(t, b.Addr()), topic, p) {
			got = append(got, string(m.Value))
		}
	}
	if fmt.Sprint(got) != "[first second]" {
		t.Fatalf("after the restart %v, want [first second]", got)
	}
}

// startWithTopics starts a broker on dir ("": in memory) with the topics
// made; the caller closes it.
func startWithTopics(t *testing.T, dir string) (*embedded.Broker, kafka.Config) {
	t.Helper()
	b, err := embedded.Start(embedded.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cfg := configOn(t, b.Addr())
	if err := kafka.EnsureTopics(cfg); err != nil {
		t.Fatal(err)
	}
	return b, cfg
}

// startWriting starts a broker on dir with the topics made, and a
// producer to it; the caller closes both.
func startWriting(t *testing.T, dir string) (*embedded.Broker, kafka.Config, sarama.SyncProducer) {
	t.Helper()
	b, cfg := startWithTopics(t, dir)
	prod, err := sarama.NewSyncProducer(cfg.Brokers, cfg.Sarama("test-writer"))
	if err != nil {
		t.Fatal(err)
	}
	return b, cfg, prod
}

// filesOf maps each file under dir to its size and modification time.
func filesOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[path] = fmt.Sprint(info.Size(), " ", info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
