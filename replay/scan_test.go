package replay

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
)

// TestScanRetentionUnderScan: retention deletes records ahead of a running
// scan. The scan reads on with what is left, and says where the partition's
// read began: past the deleted records, as a fold's start must.
func TestScanRetentionUnderScan(t *testing.T) {
	cfg := testenv.Kafka(t, 2)
	topic := string(cfg.Names.Events)
	pc := cfg.Sarama("test-writer")
	pc.Producer.Partitioner = sarama.NewManualPartitioner
	prod := testenv.Producer(t, cfg.Brokers, pc)
	for range 40 {
		for p := range int32(2) {
			if _, _, err := prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: p, Value: sarama.StringEncoder("x")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// As dial's, but with one record per fetch and a channel of one, so
	// that the scan fetches only a few records ahead of its fold.
	sc := cfg.Sarama("test-scan")
	sc.ChannelBufferSize = 1
	sc.Consumer.Fetch.Default = 64
	sc.Consumer.MaxWaitTime = 10 * time.Millisecond
	client, err := sarama.NewClient(cfg.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := kafka.NewReader(client)
	if err != nil {
		t.Fatal(err)
	}
	c := &conn{cfg: cfg, client: client, reader: reader}
	defer c.close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	got := make([][]int64, 2)
	var done atomic.Int64
	start, err := c.scan(ctx, topic, []int64{0, 0}, []int64{40, 40}, &done, func(p int32) func(*sarama.ConsumerMessage) {
		return func(m *sarama.ConsumerMessage) {
			if p == 0 && m.Offset == 0 {
				admin, err := sarama.NewClusterAdmin(cfg.Brokers, cfg.Sarama("test-admin"))
				if err != nil {
					t.Error(err)
					return
				}
				defer admin.Close()
				if err := admin.DeleteRecords(topic, map[int32]int64{0: 30}); err != nil {
					t.Error(err)
				}
			}
			got[p] = append(got[p], m.Offset)
		}
	})
	if err != nil || !slices.Equal(start, []int64{30, 0}) {
		t.Fatalf("scan: start %v, %v", start, err)
	}
	if n := len(got[0]); n < 11 || !slices.Equal(got[0][n-10:], []int64{30, 31, 32, 33, 34, 35, 36, 37, 38, 39}) || got[0][n-11] >= 30 {
		t.Fatalf("partition 0: got %v, want what was fetched before the cut, then 30..39", got[0])
	}
	if len(got[1]) != 40 || done.Load() != int64(len(got[0])+40) {
		t.Fatalf("partition 1: got %v; done %d", got[1], done.Load())
	}
}
