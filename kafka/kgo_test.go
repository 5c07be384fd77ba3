package kafka_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestProducerPartitions writes records of many keys with the server's kgo
// options to a broker over the network: each lands in the partition that
// Partition (goka's partitioner, which the processors read by) names, and
// is acknowledged with its offset.
func TestProducerPartitions(t *testing.T) {
	t.Parallel()
	cfg := testenv.Kafka(t, 7)
	cl, err := kgo.NewClient(cfg.Producer("test")...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for i := range 200 {
		recs = append(recs, &kgo.Record{Topic: string(cfg.Names.Events), Key: []byte(fmt.Sprintf("room-%d", i)), Value: []byte("{}")})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	next := map[int32]int64{}
	for _, r := range recs {
		if want := kafka.Partition(string(r.Key), 7); r.Partition != want {
			t.Fatalf("key %s in partition %d, want %d", r.Key, r.Partition, want)
		}
		if r.Offset != next[r.Partition] {
			t.Fatalf("key %s at offset %d of partition %d, want %d", r.Key, r.Offset, r.Partition, next[r.Partition])
		}
		next[r.Partition]++
	}
	if len(next) != 7 {
		t.Fatalf("records in %d partitions, want all 7", len(next))
	}
}
