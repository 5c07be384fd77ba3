package tablestore_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/tablestore"
	"github.com/lovoo/goka"
	gokacodec "github.com/lovoo/goka/codec"
)

// TestViewRecoversAndRestarts runs goka views on a Store: one recovers a
// table topic into an empty directory, a second one restarts on that
// directory, recovers only what was written since, and both serve the
// latest row of every key.
func TestViewRecoversAndRestarts(t *testing.T) {
	const partitions = 2
	cfg := testenv.Kafka(t, partitions)
	table := cfg.Names.RoomsTable()
	dir := t.TempDir()

	p := testenv.Producer(t, cfg.Brokers, cfg.Sarama("test"))
	want := map[string][]byte{}
	n := 0
	produce := func(records int) {
		msgs := make([]*sarama.ProducerMessage, 0, records)
		for range records {
			key := fmt.Sprintf("room-%03d", n%300)
			var value []byte
			if n%11 != 10 {
				value = fmt.Appendf(nil, "%s version %d %s", key, n, bytes.Repeat([]byte{'x'}, 200))
			}
			want[key] = value // nil: a tombstone, which deletes the row
			m := &sarama.ProducerMessage{Topic: string(table), Key: sarama.StringEncoder(key)}
			if value != nil {
				m.Value = sarama.ByteEncoder(value)
			}
			msgs = append(msgs, m)
			n++
		}
		if err := p.SendMessages(msgs); err != nil {
			t.Fatal(err)
		}
	}

	produce(3000)
	run(t, cfg, table, dir, want)
	checkOffsets(t, cfg, table, dir, partitions)

	produce(700)
	run(t, cfg, table, dir, want)
	checkOffsets(t, cfg, table, dir, partitions)
}

// run runs a view of table stored in dir until it has recovered and holds
// want, then stops it.
func run(t *testing.T, cfg kafka.Config, table goka.Table, dir string, want map[string][]byte) {
	t.Helper()
	v, err := goka.NewView(cfg.Brokers, table, new(gokacodec.Bytes),
		goka.WithViewStorageBuilder(tablestore.Builder(dir)),
		goka.WithViewConsumerSaramaBuilder(func(brokers []string, _ string) (sarama.Consumer, error) {
			return sarama.NewConsumer(brokers, cfg.Sarama("view"))
		}),
		goka.WithViewTopicManagerBuilder(kafka.TopicManagerBuilder(cfg)),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("view: %v", err)
		}
	}()
	testenv.WaitFor(t, time.Minute, func() error {
		if !v.Recovered() {
			return fmt.Errorf("view %v", v.CurrentState())
		}
		for key, w := range want {
			got, err := v.Get(key)
			if err != nil {
				return err
			}
			if w == nil && got != nil || w != nil && (got == nil || !bytes.Equal(got.([]byte), w)) {
				return fmt.Errorf("%s = %q, want %q", key, got, w)
			}
		}
		return nil
	})
}

// checkOffsets checks that the stored offset of every partition in dir is
// the last offset of the partition.
func checkOffsets(t *testing.T, cfg kafka.Config, table goka.Table, dir string, partitions int) {
	t.Helper()
	c := testenv.KafkaClient(t, cfg.Brokers, cfg.Sarama("offsets"))
	for part := range int32(partitions) {
		hwm, err := c.GetOffset(string(table), part, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		st, err := tablestore.Builder(dir)(string(table), part)
		if err != nil {
			t.Fatal(err)
		}
		off, err := st.GetOffset(-3)
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		if off != hwm-1 {
			t.Errorf("partition %d: stored offset %d, want %d (the last offset)", part, off, hwm-1)
		}
	}
}
