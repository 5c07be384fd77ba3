package processors_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
)

// TestDeadLettersOnBroker writes records that another producer might write —
// garbage, well-formed JSON that breaks the rules, a record in the wrong
// partition for its room — and checks that each lands in the dead-letter
// topic with its reason and source, and that processing goes on.
func TestDeadLettersOnBroker(t *testing.T) {
	cfg := testenv.Kafka(t, 4)
	rv, stop := runRoomsWithView(t, cfg, t.TempDir())

	// A manual partitioner, to place one record where its room does not live.
	pcfg := cfg.Sarama("test")
	pcfg.Producer.Partitioner = sarama.NewManualPartitioner
	p := testenv.Producer(t, cfg.Brokers, pcfg)
	write := func(partition int32, key string, value []byte) {
		t.Helper()
		msg := &sarama.ProducerMessage{Topic: string(cfg.Names.Events), Key: sarama.StringEncoder(key), Value: sarama.ByteEncoder(value),
			Partition: kafka.Partition(key, cfg.Partitions)}
		if partition >= 0 {
			msg.Partition = partition
		}
		if value == nil {
			msg.Value = nil // a tombstone
		}
		if _, _, err := p.SendMessage(msg); err != nil {
			t.Fatal(err)
		}
	}
	valid := codec.NewEvent(codec.Message, "dl", "ok")
	valid.Text = "fine"
	vb, _ := json.Marshal(&valid)
	badName := codec.NewEvent(codec.Message, "dl", "-bad")
	badName.Text = "x"
	bb, _ := json.Marshal(&badName)
	right := kafka.Partition("dl", cfg.Partitions)
	wrong := (right + 1) % int32(cfg.Partitions)

	write(-1, "dl", []byte("not json at all"))
	write(-1, "dl", bb)
	write(-1, "dl", nil)
	write(-1, "other", vb) // key differs from the room
	write(wrong, "dl", vb) // room in the wrong partition
	write(-1, "dl", vb)

	testenv.WaitFor(t, 30*time.Second, func() error {
		r, err := rv.Get("dl")
		if err != nil {
			return err
		}
		if r == nil || r.Messages != 1 {
			return fmt.Errorf("room %+v, want exactly the one valid message", r)
		}
		return nil
	})

	consumer, err := sarama.NewConsumer(cfg.Brokers, cfg.Sarama("test-dl"))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	var got []*codec.DeadLetter
	for part := range int32(cfg.Partitions) {
		pc, err := consumer.ConsumePartition(string(cfg.Names.DeadLetter), part, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		hwm := pc.HighWaterMarkOffset()
		for hwm > 0 {
			m := <-pc.Messages()
			d, err := codec.DeadLetterCodec{}.Decode(m.Value)
			if err != nil {
				t.Fatal(err)
			}
			dl := d.(*codec.DeadLetter)
			hdr := map[string]string{}
			for _, h := range m.Headers {
				hdr[string(h.Key)] = string(h.Value)
			}
			if dl.Reason == "" || hdr[codec.HeaderReason] != dl.Reason || hdr[codec.HeaderTopic] != string(cfg.Names.Events) ||
				hdr[codec.HeaderOffset] != fmt.Sprint(dl.Offset) || hdr[codec.HeaderPartition] != fmt.Sprint(dl.Partition) {
				t.Errorf("dead letter %+v with headers %v", dl, hdr)
			}
			got = append(got, dl)
			if m.Offset >= hwm-1 {
				break
			}
		}
		_ = pc.Close()
	}
	if len(got) != 5 {
		for _, d := range got {
			t.Logf("dead letter: %s (%s)", d.Reason, d.Value)
		}
		t.Fatalf("%d dead letters, want 5", len(got))
	}
	stop()
}
