package replay_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/embedded"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/replay"
)

var (
	benchOnce sync.Once
	benchCfg  kafka.Config
)

// BenchmarkFoldLog folds a whole log, by default of a million events (set
// CHATSTATE_BENCH_EVENTS for another size) over 8 partitions, 10,000 rooms
// and 50,000 users: 70% messages, the rest joins and leaves. Writing the log
// is not timed. Run it with
//
//	go test -run '^$' -bench BenchmarkFoldLog -benchtime 3x ./replay
func BenchmarkFoldLog(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("CHATSTATE_BENCH_EVENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	benchOnce.Do(func() {
		// One broker and log for every run of the benchmark: the framework
		// calls it more than once, and writing the log takes longer than
		// folding it. The broker lives until the process ends.
		br, err := embedded.Start(embedded.Config{})
		if err != nil {
			b.Fatal(err)
		}
		benchCfg, err = kafka.Config{Brokers: []string{br.Addr()}, Names: kafka.NewNames("bench"), Partitions: 8}.WithDefaults()
		if err == nil {
			err = kafka.EnsureTopics(benchCfg)
		}
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		fillLog(b, benchCfg, n)
		b.Logf("wrote %d events in %v", n, time.Since(start))
	})
	cfg := benchCfg
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		l, err := replay.FoldLog(context.Background(), cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		if l.Records != int64(n) {
			b.Fatalf("read %d records, wrote %d", l.Records, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	// CPU time of the process (the fold and the in-process broker serving
	// it), which tells more than the wall time on a shared machine.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// fillLog writes n events with an asynchronous, batching producer.
func fillLog(b *testing.B, cfg kafka.Config, n int) {
	sc := cfg.Sarama("bench")
	sc.Producer.Flush.Messages = 1000
	sc.Producer.Flush.Frequency = 5 * time.Millisecond
	sc.Producer.Return.Successes = false
	prod, err := sarama.NewAsyncProducer(cfg.Brokers, sc)
	if err != nil {
		b.Fatal(err)
	}
	errs := make(chan error, 1)
	go func() {
		for e := range prod.Errors() {
			select {
			case errs <- e:
			default:
			}
		}
	}()
	rng := rand.New(rand.NewSource(1))
	ts := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		room, user := fmt.Sprint("room-", rng.Intn(10000)), fmt.Sprint("user-", rng.Intn(50000))
		e := codec.Event{V: codec.Version, ID: codec.NewID(), Room: room, User: user, TS: codec.FormatTime(ts.Add(time.Duration(i) * time.Millisecond))}
		switch r := rng.Intn(10); {
		case r < 7:
			e.Type, e.Text = codec.Message, fmt.Sprint("a message of moderate length, number ", i)
		case r < 9:
			e.Type, e.Session, e.Server = codec.Join, fmt.Sprint("s", rng.Intn(100000)), "srv-1"
		default:
			e.Type, e.Session, e.Server = codec.Leave, fmt.Sprint("s", rng.Intn(100000)), "srv-1"
		}
		v, err := codec.EventCodec{}.Encode(&e)
		if err != nil {
			b.Fatal(err)
		}
		prod.Input() <- &sarama.ProducerMessage{Topic: string(cfg.Names.Events), Key: sarama.StringEncoder(room), Value: sarama.ByteEncoder(v)}
	}
	if err := prod.Close(); err != nil {
		b.Fatal(err)
	}
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}
