package kafka_test

import (
	"slices"
	"testing"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
)

// TestStartAndEndOffsets: on a topic of four partitions holding 0, 1, 2 and
// 3 records, the second and the last cut below 1 and 2 by retention, the
// batched lookups answer each partition's first retained and next offset.
func TestStartAndEndOffsets(t *testing.T) {
	cfg := testenv.Kafka(t, 4)
	topic := string(cfg.Names.Events)
	sc := cfg.Sarama("test-writer")
	sc.Producer.Partitioner = sarama.NewManualPartitioner
	prod := testenv.Producer(t, cfg.Brokers, sc)
	for p := range int32(4) {
		for range p {
			if _, _, err := prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: p, Value: sarama.StringEncoder("r")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	client := testenv.KafkaClient(t, cfg.Brokers, cfg.Sarama("test-offsets"))
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.DeleteRecords(topic, map[int32]int64{1: 1, 3: 2}); err != nil {
		t.Fatal(err)
	}

	end, err := kafka.EndOffsets(client, topic, 4)
	if err != nil || !slices.Equal(end, []int64{0, 1, 2, 3}) {
		t.Fatalf("end offsets %v (%v), want [0 1 2 3]", end, err)
	}
	start, err := kafka.StartOffsets(client, topic, 4)
	if err != nil || !slices.Equal(start, []int64{0, 1, 0, 2}) {
		t.Fatalf("start offsets %v (%v), want [0 1 0 2]", start, err)
	}
	if _, err := kafka.EndOffsets(client, "no-such-topic-"+topic, 2); err == nil {
		t.Fatal("offsets of a topic that does not exist: no error")
	}
}
