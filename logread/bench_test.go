package logread_test

import (
	"context"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/logread"
)

// BenchmarkScan measures a short scan of a room near the end of its
// partition, the read a join makes, on a client that fetches as the
// server's request reader does.
func BenchmarkScan(b *testing.B) {
	kcfg := testenv.Kafka(b, 1)
	write(b, kcfg, "r", 50)
	sc := kcfg.Sarama("bench-reader")
	sc.Consumer.MaxWaitTime = 5 * time.Millisecond
	client, err := sarama.NewClient(kcfg.Brokers, sc)
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	r := logread.New(client, kcfg)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		if _, _, err := r.Scan(ctx, "r", 40, 49, func(logread.Entry) bool { n++; return true }); err != nil || n != 10 {
			b.Fatalf("scan: %d events, %v", n, err)
		}
	}
}

// write appends n messages to room; the i-th has offset i in a fresh topic
// of one partition.
func write(t testing.TB, kcfg kafka.Config, room string, n int) {
	t.Helper()
	prod := testenv.Producer(t, kcfg.Brokers, kcfg.Sarama("test-writer"))
	for range n {
		e := codec.NewEvent(codec.Message, room, "u")
		e.Session, e.Text = "s", "hi"
		v, err := codec.EventCodec{}.Encode(&e)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := prod.SendMessage(&sarama.ProducerMessage{Topic: string(kcfg.Names.Events), Key: sarama.StringEncoder(room), Value: sarama.ByteEncoder(v)}); err != nil {
			t.Fatal(err)
		}
	}
}
