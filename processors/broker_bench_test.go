package processors_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
	"github.com/lovoo/goka"
	gokacodec "github.com/lovoo/goka/codec"
)

// BenchmarkGroupsOnBroker measures the rooms and users groups on the
// embedded broker (or CHATSTATE_TEST_BROKERS) next to a minimal goka group
// that reads the same events and persists one int64 counter per room, with
// the same client settings, in the same run. A log of CHATSTATE_BENCH_EVENTS
// events (default 20,000: 20 rooms of 10 members, the joins first, then
// messages of 200 bytes, which fill each room's history window halfway
// through) is written first and not timed; then each group in
// turn folds it from the start, and its rate is taken from its table topic:
// from its first row written to its last, so that the consumer group's
// start-up does not count. Reported: events/s of each group, the ratio of
// each to the minimal group, and the bytes the rooms and users groups write
// to their tables and the presence topic per byte of event (write
// amplification). Run it once:
//
//	go test -run '^$' -bench GroupsOnBroker -benchtime 1x ./processors
func BenchmarkGroupsOnBroker(b *testing.B) {
	n := 20_000
	if s := os.Getenv("CHATSTATE_BENCH_EVENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 2000 {
			b.Fatalf("CHATSTATE_BENCH_EVENTS=%q: want a number of at least 2000", s)
		}
	}
	for range b.N {
		cfg := testenv.Kafka(b, 8)
		dir := b.TempDir()
		eventBytes := fillEvents(b, cfg, n)

		minimal := runGroup(b, cfg, goka.GroupTable(minimalGroup(cfg)), n, func() (*goka.Processor, error) {
			return goka.NewProcessor(cfg.Brokers, minimalGraph(cfg), processors.Options(cfg, dir, "minimal")...)
		})
		rooms := runGroup(b, cfg, cfg.Names.RoomsTable(), n, func() (*goka.Processor, error) { return processors.NewRooms(cfg, dir) })
		// Every join and message derives one presence record.
		users := runGroup(b, cfg, cfg.Names.UsersTable(), n, func() (*goka.Processor, error) { return processors.NewUsers(cfg, dir) })

		roomRows := topicBytes(b, cfg, string(cfg.Names.RoomsTable()))
		presence := topicBytes(b, cfg, string(cfg.Names.Presence))
		userRows := topicBytes(b, cfg, string(cfg.Names.UsersTable()))
		b.ReportMetric(minimal, "minimal-events/s")
		b.ReportMetric(rooms, "rooms-events/s")
		b.ReportMetric(users, "users-records/s")
		b.ReportMetric(rooms/minimal, "rooms/minimal")
		b.ReportMetric(users/minimal, "users/minimal")
		b.ReportMetric(float64(roomRows+presence+userRows)/float64(n), "table-B/event")
		b.ReportMetric(float64(roomRows+presence+userRows)/float64(eventBytes), "amplification")
		b.Logf("%d events (%d B): rooms table %d B, presence %d B, users table %d B", n, eventBytes, roomRows, presence, userRows)
		disk := logBytes(b, cfg, string(cfg.Names.Events), string(cfg.Names.RoomsTable()), string(cfg.Names.UsersTable()))
		tables := disk[string(cfg.Names.RoomsTable())] + disk[string(cfg.Names.UsersTable())]
		b.ReportMetric(float64(tables)/float64(disk[string(cfg.Names.Events)]), "table-log/event-log")
		b.Logf("in the broker's log: events %d B, rooms table %d B, users table %d B",
			disk[string(cfg.Names.Events)], disk[string(cfg.Names.RoomsTable())], disk[string(cfg.Names.UsersTable())])
	}
}

func minimalGroup(cfg kafka.Config) goka.Group { return goka.Group(cfg.Names.Prefix + "-minimal") }

// minimalGraph counts the events of each room: one input, one persisted
// int64, nothing else.
func minimalGraph(cfg kafka.Config) *goka.GroupGraph {
	return goka.DefineGroup(minimalGroup(cfg),
		goka.Input(cfg.Names.Events, new(gokacodec.Bytes), func(ctx goka.Context, _ interface{}) {
			var v int64
			if old := ctx.Value(); old != nil {
				v = old.(int64)
			}
			ctx.SetValue(v + 1)
		}),
		goka.Persist(new(gokacodec.Int64)),
	)
}

// fillEvents writes n events: 20 rooms of 10 members join, then messages
// of 200 bytes go round the rooms. It returns the bytes of the values.
func fillEvents(b *testing.B, cfg kafka.Config, n int) int64 {
	b.Helper()
	admin, err := sarama.NewClusterAdmin(cfg.Brokers, cfg.Sarama("bench-admin"))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	err = admin.CreateTopic(string(goka.GroupTable(minimalGroup(cfg))), &sarama.TopicDetail{NumPartitions: int32(cfg.Partitions),
		ReplicationFactor: 1, ConfigEntries: map[string]*string{"cleanup.policy": ptr("compact")}}, false)
	if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		b.Fatal(err)
	}
	sc := cfg.Sarama("bench-fill")
	sc.Producer.Flush.Messages = 500
	sc.Producer.Flush.Frequency = 5 * time.Millisecond
	prod, err := sarama.NewSyncProducer(cfg.Brokers, sc)
	if err != nil {
		b.Fatal(err)
	}
	defer prod.Close()
	const rooms, members = 20, 10
	text := strings.Repeat("x", 200)
	var batch []*sarama.ProducerMessage
	var total int64
	for i := range n {
		room := fmt.Sprintf("room-%d", i%rooms)
		var e codec.Event
		if i < rooms*members {
			e = codec.NewEvent(codec.Join, room, fmt.Sprintf("user-%d", i))
			e.Session, e.Server = codec.NewID(), "bench"
		} else {
			e = codec.NewEvent(codec.Message, room, fmt.Sprintf("user-%d", (i/rooms)%members*rooms+i%rooms))
			e.Text = text
		}
		v, err := codec.EventCodec{}.Encode(&e)
		if err != nil {
			b.Fatal(err)
		}
		total += int64(len(v))
		batch = append(batch, &sarama.ProducerMessage{Topic: string(cfg.Names.Events), Key: sarama.StringEncoder(room), Value: sarama.ByteEncoder(v)})
		if len(batch) == 1000 || i == n-1 {
			if err := prod.SendMessages(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return total
}

func ptr(s string) *string { return &s }

// logBytes returns the size of each topic's log on the brokers, as Kafka
// reports it (DescribeLogDirs): the record batches as written, compressed if
// the producer compressed them, with their framing.
func logBytes(b *testing.B, cfg kafka.Config, topics ...string) map[string]int64 {
	b.Helper()
	client, err := sarama.NewClient(cfg.Brokers, cfg.Sarama("bench-logdirs"))
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		b.Fatal(err)
	}
	var ids []int32
	for _, br := range client.Brokers() {
		ids = append(ids, br.ID())
	}
	dirs, err := admin.DescribeLogDirs(ids)
	if err != nil {
		b.Fatal(err)
	}
	want := map[string]bool{}
	for _, t := range topics {
		want[t] = true
	}
	out := map[string]int64{}
	for _, ds := range dirs {
		for _, d := range ds {
			for _, t := range d.Topics {
				if want[t.Topic] {
					for _, p := range t.Partitions {
						out[t.Topic] += p.Size
					}
				}
			}
		}
	}
	return out
}

// runGroup runs the processor that build returns until its table topic
// holds want records, and returns its rate in records per second, from the
// first row it wrote to the last.
func runGroup(b *testing.B, cfg kafka.Config, table goka.Table, want int, build func() (*goka.Processor, error)) float64 {
	b.Helper()
	client, err := sarama.NewClient(cfg.Brokers, cfg.Sarama("bench-watch"))
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	p, err := build()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("%s: %v", table, err)
		}
	}()
	var first time.Time
	var atFirst int64
	var cpuFirst time.Duration
	deadline := time.Now().Add(10 * time.Minute)
	for {
		got := endOffsets(b, client, string(table), cfg.Partitions)
		now := time.Now()
		if got > 0 && first.IsZero() {
			first, atFirst, cpuFirst = now, got, processCPU(b)
		}
		if got >= int64(want) {
			if now.Sub(first) <= 0 {
				b.Fatalf("%s: every row appeared at once; use more events", table)
			}
			cpu := processCPU(b) - cpuFirst
			b.Logf("%s: %d rows in %v, %.2f cores, %.1f µs of CPU per row (the whole process: broker included)",
				table, got-atFirst, now.Sub(first).Round(time.Millisecond), cpu.Seconds()/now.Sub(first).Seconds(),
				float64(cpu.Microseconds())/float64(got-atFirst))
			return float64(got-atFirst) / now.Sub(first).Seconds()
		}
		if now.After(deadline) {
			b.Fatalf("%s holds %d of %d rows after 10 minutes", table, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// endOffsets sums the end offsets of topic's partitions: the records
// written to it (no table here is compacted while the benchmark runs).
func endOffsets(b *testing.B, client sarama.Client, topic string, partitions int) int64 {
	var sum int64
	for p := range partitions {
		off, err := client.GetOffset(topic, int32(p), sarama.OffsetNewest)
		if err != nil {
			b.Fatalf("offsets of %s: %v", topic, err)
		}
		sum += off
	}
	return sum
}

// topicBytes reads topic from the start and sums the sizes of its keys
// and values.
func topicBytes(b *testing.B, cfg kafka.Config, topic string) int64 {
	b.Helper()
	consumer, err := sarama.NewConsumer(cfg.Brokers, cfg.Sarama("bench-read"))
	if err != nil {
		b.Fatal(err)
	}
	defer consumer.Close()
	client, err := sarama.NewClient(cfg.Brokers, cfg.Sarama("bench-read-offsets"))
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	var total int64
	for p := range cfg.Partitions {
		end, err := client.GetOffset(topic, int32(p), sarama.OffsetNewest)
		if err != nil {
			b.Fatal(err)
		}
		if end == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(topic, int32(p), sarama.OffsetOldest)
		if err != nil {
			b.Fatal(err)
		}
		for m := range pc.Messages() {
			total += int64(len(m.Key) + len(m.Value))
			if m.Offset >= end-1 {
				break
			}
		}
		_ = pc.Close()
	}
	return total
}

// processCPU is the CPU time this process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
