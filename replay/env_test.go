package replay_test

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/lovoo/goka"
)

// t0 is the time of the first event a writer writes; each further event is
// stamped one millisecond later.
var t0 = time.Date(2024, 5, 1, 14, 0, 0, 0, time.UTC)

// writer writes events to the events topic as a server does, with
// deterministic, increasing timestamps.
type writer struct {
	t    testing.TB
	cfg  kafka.Config
	prod sarama.SyncProducer
	mu   sync.Mutex
	n    int
}

func newWriter(t testing.TB, cfg kafka.Config) *writer {
	t.Helper()
	prod := testenv.Producer(t, cfg.Brokers, cfg.Sarama("test-writer"))
	return &writer{t: t, cfg: cfg, prod: prod}
}

// event writes one valid event and returns its cursor. session is the text
// of a message.
func (w *writer) event(typ codec.EventType, room, user, session string) (int64, codec.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e := codec.NewEvent(typ, room, user)
	e.TS = codec.FormatTime(t0.Add(time.Duration(w.n) * time.Millisecond))
	w.n++
	if typ == codec.Message {
		e.Text = session
	} else {
		e.Session, e.Server = session, "srv-1"
	}
	b, err := codec.EventCodec{}.Encode(&e)
	if err != nil {
		w.t.Fatal(err)
	}
	_, off, err := w.prod.SendMessage(&sarama.ProducerMessage{Topic: string(w.cfg.Names.Events), Key: sarama.StringEncoder(room), Value: sarama.ByteEncoder(b)})
	if err != nil {
		w.t.Errorf("write: %v", err)
	}
	return off, e
}

// raw writes a record that is not a valid event.
func (w *writer) raw(key string, value []byte) {
	if _, _, err := w.prod.SendMessage(&sarama.ProducerMessage{Topic: string(w.cfg.Names.Events), Key: sarama.StringEncoder(key), Value: sarama.ByteEncoder(value)}); err != nil {
		w.t.Errorf("write: %v", err)
	}
}

// traffic writes random joins, leaves, messages and some invalid records
// over rooms and users until ctx is done or n events were written (n <= 0:
// no limit).
func (w *writer) traffic(ctx context.Context, seed int64, rooms, users, n int) {
	rng := rand.New(rand.NewSource(seed))
	live := map[[2]string][]string{} // room, user → sessions
	for i := 0; (n <= 0 || i < n) && ctx.Err() == nil; i++ {
		room, user := fmt.Sprintf("room-%d", rng.Intn(rooms)), fmt.Sprintf("user-%d", rng.Intn(users))
		k := [2]string{room, user}
		switch r := rng.Intn(20); {
		case r < 5:
			s := fmt.Sprintf("s%d", i)
			live[k] = append(live[k], s)
			w.event(codec.Join, room, user, s)
		case r < 8 && len(live[k]) > 0:
			j := rng.Intn(len(live[k]))
			w.event(codec.Leave, room, user, live[k][j])
			live[k] = append(live[k][:j], live[k][j+1:]...)
		case r == 8:
			w.event(codec.Expire, room, user, "never-joined")
		case r == 9:
			w.raw(room, []byte("not an event"))
		default:
			w.event(codec.Message, room, user, fmt.Sprintf("message %d", i))
		}
	}
}

// waitCaughtUp waits until the rooms and users processors have committed
// everything that is in their input topics.
func waitCaughtUp(t testing.TB, cfg kafka.Config) {
	t.Helper()
	client := testenv.KafkaClient(t, cfg.Brokers, cfg.Sarama("test-wait"))
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	parts := make([]int32, cfg.Partitions)
	for i := range parts {
		parts[i] = int32(i)
	}
	testenv.WaitFor(t, 60*time.Second, func() error {
		for group, topic := range map[goka.Group]goka.Stream{cfg.Names.RoomsGroup: cfg.Names.Events, cfg.Names.UsersGroup: cfg.Names.Presence} {
			resp, err := admin.ListConsumerGroupOffsets(string(group), map[string][]int32{string(topic): parts})
			if err != nil {
				return err
			}
			for _, p := range parts {
				start, err1 := client.GetOffset(string(topic), p, sarama.OffsetOldest)
				end, err2 := client.GetOffset(string(topic), p, sarama.OffsetNewest)
				if err1 != nil || err2 != nil {
					return fmt.Errorf("offsets: %v %v", err1, err2)
				}
				if b := resp.GetBlock(string(topic), p); end > start && (b == nil || b.Offset < end) {
					return fmt.Errorf("group %s is behind on %s/%d (end %d)", group, topic, p, end)
				}
			}
		}
		return nil
	})
}

// writeRow writes a row straight into a table topic, as a corruption would;
// a nil value deletes the row.
func writeRow(t testing.TB, cfg kafka.Config, topic, key string, value []byte) {
	t.Helper()
	sc := cfg.Sarama("test-corrupt")
	sc.Producer.Partitioner = sarama.NewManualPartitioner
	prod := testenv.Producer(t, cfg.Brokers, sc)
	msg := &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(key), Value: sarama.ByteEncoder(value), Partition: kafka.Partition(key, cfg.Partitions)}
	if value == nil {
		msg.Value = nil // a tombstone
	}
	if _, _, err := prod.SendMessage(msg); err != nil {
		t.Fatal(err)
	}
}

// deleteBefore deletes the records of partition p of the events topic below
// offset, as retention would.
func deleteBefore(t testing.TB, cfg kafka.Config, p int32, offset int64) {
	t.Helper()
	admin, err := sarama.NewClusterAdmin(cfg.Brokers, cfg.Sarama("test-retention"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.DeleteRecords(string(cfg.Names.Events), map[int32]int64{p: offset}); err != nil {
		t.Fatal(err)
	}
}

// topicEnd returns the sum of the end offsets of a topic's partitions.
func topicEnd(t testing.TB, cfg kafka.Config, topic string) int64 {
	t.Helper()
	client := testenv.KafkaClient(t, cfg.Brokers, cfg.Sarama("test-end"))
	var n int64
	for p := range int32(cfg.Partitions) {
		end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		n += end
	}
	return n
}
