package kafka_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkProduceLatency measures, on the Apache Kafka of
// CHATSTATE_TEST_BROKERS (it skips without one: the embedded broker answers
// in a tenth of a millisecond, which tells nothing of a real one), what the
// server's writes and its tail see: b.N records of 200 bytes with the keys
// of 100 rooms, produced at CHATSTATE_BENCH_RATE records/s (default 1,000)
// by up to 64 writes in flight at once (as HTTP publishes arrive), each
// write waiting for its acknowledgement; a consumer reads every partition
// from the end. Reported: the produce round trip (call to acknowledgement)
// and produce-to-consume (call to the consumer's hand-off) at p50 and p99,
// for sarama as chatstate configures it (goka's writes), sarama tuned, and
// franz-go's kgo as the server's writes use it (kafka.Config.Producer).
// Run it with a count of records, e.g. ten seconds' worth:
//
//	CHATSTATE_TEST_BROKERS=127.0.0.1:9092 go test -run '^$' -bench ProduceLatency -benchtime 10000x ./kafka
func BenchmarkProduceLatency(b *testing.B) {
	if os.Getenv("CHATSTATE_TEST_BROKERS") == "" {
		b.Skip("set CHATSTATE_TEST_BROKERS to an Apache Kafka: the figures are the broker's round trips")
	}
	rate := 1000
	if s := os.Getenv("CHATSTATE_BENCH_RATE"); s != "" {
		var err error
		if rate, err = strconv.Atoi(s); err != nil || rate < 1 {
			b.Fatalf("CHATSTATE_BENCH_RATE=%q: want a positive number", s)
		}
	}
	clients := []struct {
		name string
		open func(b *testing.B, cfg kafka.Config) latencyClient
	}{
		{"sarama-today", func(b *testing.B, cfg kafka.Config) latencyClient {
			return openSarama(b, cfg, cfg.Sarama("bench"))
		}},
		{"sarama-tuned", func(b *testing.B, cfg kafka.Config) latencyClient {
			sc := cfg.Sarama("bench")
			sc.Consumer.MaxWaitTime = 5 * time.Millisecond
			sc.Producer.Retry.Backoff = 10 * time.Millisecond
			sc.ChannelBufferSize = 1024
			return openSarama(b, cfg, sc)
		}},
		{"kgo", func(b *testing.B, cfg kafka.Config) latencyClient { return openKgo(b, cfg) }},
	}
	for _, c := range clients {
		b.Run(c.name, func(b *testing.B) {
			cfg := testenv.Kafka(b, 8)
			lc := c.open(b, cfg)
			runLatency(b, cfg, lc, rate)
		})
	}
}

// latencyClient is one client library's producer and tail.
type latencyClient interface {
	// produce writes one record and returns once it is acknowledged.
	produce(ctx context.Context, topic, key string, value []byte) error
	// tail hands every record written to topic from now on to got, until
	// ctx ends; it returns once it reads.
	tail(ctx context.Context, topic string, partitions int, got func(value []byte)) (wait func())
}

// runLatency produces b.N records at rate and reports the latencies.
func runLatency(b *testing.B, cfg kafka.Config, lc latencyClient, rate int) {
	topic := string(cfg.Names.Events)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	rtt := hdrhistogram.New(1, 60_000_000, 3) // microseconds
	e2e := hdrhistogram.New(1, 60_000_000, 3)
	received := make(chan struct{}, b.N)
	wait := lc.tail(ctx, topic, cfg.Partitions, func(v []byte) {
		sent := time.Unix(0, int64(binary.BigEndian.Uint64(v)))
		mu.Lock()
		_ = e2e.RecordValue(time.Since(sent).Microseconds())
		mu.Unlock()
		received <- struct{}{}
	})
	defer func() { cancel(); wait() }()
	// Warm the connections and the metadata before the clock starts.
	for i := range 100 {
		v := make([]byte, 200)
		binary.BigEndian.PutUint64(v, uint64(time.Now().UnixNano()))
		if err := lc.produce(ctx, topic, fmt.Sprintf("room-%d", i), v); err != nil {
			b.Fatal(err)
		}
		<-received
	}
	rtt.Reset()
	e2e.Reset()

	b.ResetTimer()
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := range b.N {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			v := make([]byte, 200)
			t0 := time.Now()
			binary.BigEndian.PutUint64(v, uint64(t0.UnixNano()))
			if err := lc.produce(ctx, topic, fmt.Sprintf("room-%d", i%100), v); err != nil {
				select {
				case errs <- err:
				default:
				}
				return
			}
			mu.Lock()
			_ = rtt.RecordValue(time.Since(t0).Microseconds())
			mu.Unlock()
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	deadline := time.After(30 * time.Second)
	for range b.N {
		select {
		case <-received:
		case <-deadline:
			b.Fatal("not every record was consumed within 30 s")
		}
	}
	b.StopTimer()
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(rtt.ValueAtQuantile(50))/1000, "produce-p50-ms")
	b.ReportMetric(float64(rtt.ValueAtQuantile(99))/1000, "produce-p99-ms")
	b.ReportMetric(float64(e2e.ValueAtQuantile(50))/1000, "e2e-p50-ms")
	b.ReportMetric(float64(e2e.ValueAtQuantile(99))/1000, "e2e-p99-ms")
	b.ReportMetric(0, "ns/op")
}

type saramaClient struct {
	prod   sarama.SyncProducer
	client sarama.Client
}

// openSarama is a sync producer and a kafka.Reader per partition on one
// client, as the server has them.
func openSarama(b *testing.B, cfg kafka.Config, sc *sarama.Config) latencyClient {
	return &saramaClient{prod: testenv.Producer(b, cfg.Brokers, sc), client: testenv.KafkaClient(b, cfg.Brokers, sc)}
}

func (s *saramaClient) produce(_ context.Context, topic, key string, value []byte) error {
	_, _, err := s.prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(key), Value: sarama.ByteEncoder(value)})
	return err
}

func (s *saramaClient) tail(ctx context.Context, topic string, partitions int, got func([]byte)) func() {
	r, err := kafka.NewReader(s.client)
	if err != nil {
		panic(err)
	}
	ends, err := kafka.EndOffsets(s.client, topic, partitions)
	if err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	for p, from := range ends {
		wg.Go(func() {
			_, _ = r.Read(ctx, topic, int32(p), from, kafka.NoEnd, kafka.Handler{
				Record: func(m *sarama.ConsumerMessage) bool { got(m.Value); return true },
				Error:  func(error) bool { return true },
			})
		})
	}
	return func() { wg.Wait(); _ = r.Close() }
}

type kgoClient struct {
	prod    *kgo.Client
	brokers []string
	ends    func(topic string, n int) ([]int64, error)
}

// openKgo is the server's kgo producer (kafka.Config.Producer) and a kgo
// consumer of every partition.
func openKgo(b *testing.B, cfg kafka.Config) latencyClient {
	prod, err := kgo.NewClient(cfg.Producer("bench")...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(prod.Close)
	client := testenv.KafkaClient(b, cfg.Brokers, cfg.Sarama("bench-offsets"))
	return &kgoClient{prod: prod, brokers: cfg.Brokers, ends: func(topic string, n int) ([]int64, error) {
		return kafka.EndOffsets(client, topic, n)
	}}
}

func (k *kgoClient) produce(ctx context.Context, topic, key string, value []byte) error {
	return k.prod.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(key), Value: value}).FirstErr()
}

func (k *kgoClient) tail(ctx context.Context, topic string, partitions int, got func([]byte)) func() {
	ends, err := k.ends(topic, partitions)
	if err != nil {
		panic(err)
	}
	at := map[int32]kgo.Offset{}
	for p, o := range ends {
		at[int32(p)] = kgo.NewOffset().At(o)
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(k.brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: at}),
		kgo.FetchMaxWait(250*time.Millisecond))
	if err != nil {
		panic(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			cons.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got(r.Value) })
		}
	}()
	return func() { <-done; cons.Close() }
}
