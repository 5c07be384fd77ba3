package embedded_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/embedded"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestDialIsTheSameBroker: a client of the broker's own process, connected
// in memory through Broker.Dial, and a client over TCP read and write one
// log: what one writes, the other reads at the same offset, through sarama
// (the processors' and views' client) and kgo (the server's writes and
// tail) alike. After Close, Dial fails with net.ErrClosed.
func TestDialIsTheSameBroker(t *testing.T) {
	b, err := embedded.Start(embedded.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tcp := configOn(t, b.Addr())
	var dials atomic.Int32
	mem := tcp
	mem.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return b.Dial(ctx, network, addr)
	}
	if err := kafka.EnsureTopics(mem); err != nil {
		t.Fatal(err)
	}
	topic := string(mem.Names.Events)

	// kgo in memory writes; sarama over TCP reads.
	pc, err := kgo.NewClient(mem.Producer("test-mem")...)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := pc.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte("lobby"), Value: []byte("in memory")}).First()
	if err != nil {
		t.Fatal(err)
	}
	if dials.Load() == 0 {
		t.Fatal("the kgo client of a configuration with Dial did not dial through it")
	}
	got := readAll(t, tcp, topic, r.Partition)
	if len(got) != 1 || string(got[0].Value) != "in memory" || got[0].Offset != r.Offset {
		t.Fatalf("over TCP read %d records, want the one written in memory at offset %d", len(got), r.Offset)
	}

	// sarama over TCP writes; sarama in memory reads.
	sp, err := sarama.NewSyncProducerFromClient(testenv.KafkaClient(t, tcp.Brokers, tcp.Sarama("test-tcp")))
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	p, off, err := sp.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder("lobby"), Value: sarama.StringEncoder("over tcp")})
	if err != nil {
		t.Fatal(err)
	}
	before := dials.Load()
	got = readAll(t, mem, topic, p)
	if dials.Load() == before {
		t.Fatal("the sarama client of a configuration with Dial did not dial through it")
	}
	if len(got) != 2 || string(got[1].Value) != "over tcp" || got[1].Offset != off || string(got[0].Value) != "in memory" {
		t.Fatalf("in memory read %d records, want the two written, the second at offset %d", len(got), off)
	}

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Dial(context.Background(), "tcp", b.Addr()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Dial after Close = %v, want net.ErrClosed", err)
	}
}
