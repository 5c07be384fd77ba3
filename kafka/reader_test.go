package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
)

// readerEnv is a topic of one partition holding n records, the value of
// each its offset, and a client to read it with.
type readerEnv struct {
	cfg    kafka.Config
	topic  string
	client sarama.Client
	prod   sarama.SyncProducer
}

func newReaderEnv(t *testing.T, n int, tune func(*sarama.Config)) *readerEnv {
	t.Helper()
	cfg := testenv.Kafka(t, 1)
	e := &readerEnv{cfg: cfg, topic: string(cfg.Names.Events)}
	e.prod = testenv.Producer(t, cfg.Brokers, cfg.Sarama("test-writer"))
	e.write(t, n)
	sc := cfg.Sarama("test-reader")
	sc.Consumer.MaxWaitTime = 5 * time.Millisecond
	if tune != nil {
		tune(sc)
	}
	e.client = testenv.KafkaClient(t, cfg.Brokers, sc)
	return e
}

// write appends n records, each in a request of its own.
func (e *readerEnv) write(t *testing.T, n int) {
	t.Helper()
	for range n {
		if _, _, err := e.prod.SendMessage(&sarama.ProducerMessage{Topic: e.topic, Value: sarama.StringEncoder("record")}); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *readerEnv) deleteBelow(t *testing.T, offset int64) {
	t.Helper()
	admin, err := sarama.NewClusterAdmin(e.cfg.Brokers, e.cfg.Sarama("test-admin"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.DeleteRecords(e.topic, map[int32]int64{0: offset}); err != nil {
		t.Fatal(err)
	}
}

func (e *readerEnv) reader(t *testing.T) *kafka.Reader {
	t.Helper()
	r, err := kafka.NewReader(e.client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// collect returns a handler that records the offsets it is handed and the
// skips it is told of, and ends the read at offset stop.
func collect(got *[]int64, skips *[][2]int64, stop int64) kafka.Handler {
	return kafka.Handler{
		Record: func(m *sarama.ConsumerMessage) bool {
			*got = append(*got, m.Offset)
			return m.Offset != stop
		},
		Skipped: func(from, to int64) { *skips = append(*skips, [2]int64{from, to}) },
	}
}

func span(from, to int64) []int64 {
	var out []int64
	for o := from; o < to; o++ {
		out = append(out, o)
	}
	return out
}

// settle fails the test unless the goroutine count comes back to at most
// base: every goroutine a read started has ended.
func settle(t *testing.T, base int) {
	t.Helper()
	testenv.WaitFor(t, 5*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > base {
			return fmt.Errorf("%d goroutines, %d before the reads", n, base)
		}
		return nil
	})
}

// TestReaderRange: a range is read in offset order and the read ends at
// its end, or where the handler says stop, with the offset to go on from;
// a live read ends with its context; no goroutine outlives the reads.
func TestReaderRange(t *testing.T) {
	e := newReaderEnv(t, 20, nil)
	r := e.reader(t)
	ctx := context.Background()
	if _, err := e.client.GetOffset(e.topic, 0, sarama.OffsetNewest); err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()

	var got []int64
	var skips [][2]int64
	next, err := r.Read(ctx, e.topic, 0, 5, 15, collect(&got, &skips, -1))
	if err != nil || next != 15 || !slices.Equal(got, span(5, 15)) || skips != nil {
		t.Fatalf("read [5, 15): next %d, %v, got %v, skips %v", next, err, got, skips)
	}
	got = nil
	next, err = r.Read(ctx, e.topic, 0, 0, kafka.NoEnd, collect(&got, &skips, 7))
	if err != nil || next != 8 || !slices.Equal(got, span(0, 8)) {
		t.Fatalf("read stopped at 7: next %d, %v, got %v", next, err, got)
	}

	// A live read past the end takes what is written, and ends with its
	// context within a fetch.
	got = nil
	ctx2, cancel := context.WithCancel(ctx)
	h := collect(&got, &skips, -1)
	h.Record = func(m *sarama.ConsumerMessage) bool {
		got = append(got, m.Offset)
		if m.Offset == 21 {
			cancel()
		}
		return true
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		next, err = r.Read(ctx2, e.topic, 0, 18, kafka.NoEnd, h)
	}()
	e.write(t, 2)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the live read did not end with its context")
	}
	if !errors.Is(err, context.Canceled) || next != 22 || !slices.Equal(got, span(18, 22)) {
		t.Fatalf("live read: next %d, %v, got %v", next, err, got)
	}
	settle(t, base)
}

// TestReaderBusyAndPastEnd: a partition is read by one Read of a reader at
// a time; a position past the end of the partition is an error.
func TestReaderBusyAndPastEnd(t *testing.T) {
	e := newReaderEnv(t, 3, nil)
	r := e.reader(t)
	started := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := r.Read(context.Background(), e.topic, 0, 0, 3, kafka.Handler{Record: func(m *sarama.ConsumerMessage) bool {
			if m.Offset == 0 {
				close(started)
				<-release
			}
			return true
		}})
		done <- err
	}()
	<-started
	if _, err := r.Read(context.Background(), e.topic, 0, 0, 3, kafka.Handler{Record: func(*sarama.ConsumerMessage) bool { return true }}); !errors.Is(err, kafka.ErrPartitionBusy) {
		t.Errorf("second read of a busy partition: %v, want ErrPartitionBusy", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(context.Background(), e.topic, 0, 10, kafka.NoEnd, kafka.Handler{Record: func(*sarama.ConsumerMessage) bool { return true }}); !errors.Is(err, kafka.ErrPastEnd) {
		t.Errorf("read from 10 of a partition of 3: %v, want ErrPastEnd", err)
	}
}

// TestReaderFromDeleted: a read from below the earliest offset is told of
// the skip and goes on from there.
func TestReaderFromDeleted(t *testing.T) {
	e := newReaderEnv(t, 20, nil)
	e.deleteBelow(t, 10)
	var got []int64
	var skips [][2]int64
	next, err := e.reader(t).Read(context.Background(), e.topic, 0, 2, 20, collect(&got, &skips, -1))
	if err != nil || next != 20 || !slices.Equal(got, span(10, 20)) || !slices.Equal(skips, [][2]int64{{2, 10}}) {
		t.Fatalf("read [2, 20) after deleting below 10: next %d, %v, got %v, skips %v", next, err, got, skips)
	}
}

// TestReaderDeletedUnderRead: retention deletes ahead of a running read
// (sarama reports ErrOffsetOutOfRange and closes its partition consumer):
// the read is told which offsets it missed and goes on with what is left
// and what is written next.
func TestReaderDeletedUnderRead(t *testing.T) {
	// One record per fetch and a channel of one: the read fetches only a
	// few records ahead of its handler.
	e := newReaderEnv(t, 40, func(sc *sarama.Config) {
		sc.ChannelBufferSize = 1
		sc.Consumer.Fetch.Default = 64
	})
	r := e.reader(t)
	if _, err := e.client.GetOffset(e.topic, 0, sarama.OffsetNewest); err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	held := make(chan struct{})
	release := make(chan struct{})
	var got []int64
	var skips [][2]int64
	h := collect(&got, &skips, 41)
	record := h.Record
	h.Record = func(m *sarama.ConsumerMessage) bool {
		if m.Offset == 0 {
			close(held)
			<-release
		}
		return record(m)
	}
	h.Error = func(err error) bool {
		t.Errorf("read error: %v", err)
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var next int64
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		next, err = r.Read(ctx, e.topic, 0, 0, kafka.NoEnd, h)
	}()
	<-held
	e.deleteBelow(t, 30)
	close(release)
	e.write(t, 2)
	<-done
	if err != nil || next != 42 {
		t.Fatalf("read: next %d, %v, got %v, skips %v", next, err, got, skips)
	}
	if len(skips) != 1 || skips[0][1] != 30 || skips[0][0] < 1 || skips[0][0] >= 30 {
		t.Fatalf("skips %v, want one of [k, 30) with 0 < k < 30", skips)
	}
	k := skips[0][0]
	if want := append(span(0, k), span(30, 42)...); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	t.Logf("the read had fetched up to %d when retention deleted below 30", k)
	settle(t, base)
}
