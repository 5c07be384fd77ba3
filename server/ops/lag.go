package ops

import (
	"context"
	"strconv"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/kafka"
	"github.com/lovoo/goka"
	"github.com/prometheus/client_golang/prometheus"
)

// lagEvery is how often the Kafka-side gauges are refreshed. They are read
// from the brokers in the background rather than on every scrape, so that
// a scrape never waits on Kafka.
const lagEvery = 5 * time.Second

// KafkaGauges are the metrics read from Kafka rather than counted by the
// server: how far each processor group is behind its input, and how many
// records the dead-letter topic holds.
type KafkaGauges struct {
	// Lag is the lag of each group on each partition of each of its input
	// topics (labels group, topic, partition).
	Lag *prometheus.GaugeVec
	// DeadLetters is the count of records in the dead-letter topic.
	DeadLetters prometheus.Gauge
	// ViewLag is, per table (label table: rooms, users, servers), the
	// records of the table topic that this server's view has not applied
	// yet, summed over the partitions.
	ViewLag *prometheus.GaugeVec
	// Views are the server's views, by the label of ViewLag: the table
	// topic and the offsets the view applied (views.Table.Offsets). Nil
	// leaves ViewLag unset.
	Views map[string]ViewOffsets
}

// ViewOffsets names a view's table topic and reads the offset of the last
// record the view applied in each of its first n partitions (-1 for none).
type ViewOffsets struct {
	Topic   string
	Applied func(n int) ([]int64, error)
}

// NewKafkaGauges returns the gauges, not registered.
func NewKafkaGauges() *KafkaGauges {
	return &KafkaGauges{
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "chatstate_processor_lag",
			Help: "Records of a group's input partition not yet committed by the group (end offset minus committed offset), refreshed every 5 s."},
			[]string{"group", "topic", "partition"}),
		DeadLetters: prometheus.NewGauge(prometheus.GaugeOpts{Name: "chatstate_dead_letters",
			Help: "Records written to the dead-letter topic (the sum of its partitions' end offsets), refreshed every 5 s."}),
		ViewLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "chatstate_view_lag",
			Help: "Records of a table topic that this server's view of the table has not applied yet (end offsets minus applied, summed over the partitions), refreshed every 5 s."},
			[]string{"table"}),
	}
}

// WatchLag refreshes g every lagEvery (5 s), reading from Kafka through
// client, until ctx is done; it runs on the caller's goroutine. A refresh
// that fails leaves the last values; the probe reports Kafka trouble on
// /readyz. kcfg names the topics and groups and their partition count.
func WatchLag(ctx context.Context, client sarama.Client, kcfg kafka.Config, g *KafkaGauges) {
	t := time.NewTicker(lagEvery)
	defer t.Stop()
	for {
		RefreshLag(client, kcfg, g)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RefreshLag reads each topic's end offsets once and each group's committed
// offsets, and sets g. A group that never committed a partition is behind
// by the partition's whole log. It blocks on Kafka.
func RefreshLag(client sarama.Client, kcfg kafka.Config, g *KafkaGauges) {
	names, n := kcfg.Names, kcfg.Partitions
	ends := map[string][]int64{}
	for _, t := range []goka.Stream{names.Events, names.Presence, names.Heartbeats, names.DeadLetter} {
		end, err := kafka.EndOffsets(client, string(t), n)
		if err != nil {
			return
		}
		ends[string(t)] = end
	}
	for _, gt := range []struct {
		group goka.Group
		topic goka.Stream
	}{
		{names.RoomsGroup, names.Events},
		{names.UsersGroup, names.Presence},
		{names.ServersGroup, names.Presence},
		{names.ServersGroup, names.Heartbeats},
	} {
		group, topic := string(gt.group), string(gt.topic)
		committed, err := kafka.CommittedOffsets(client, group, topic, n)
		if err != nil {
			continue
		}
		for p, end := range ends[topic] {
			g.Lag.WithLabelValues(group, topic, strconv.Itoa(p)).Set(float64(max(0, end-max(0, committed[p]))))
		}
	}
	var dead int64
	for _, end := range ends[string(names.DeadLetter)] {
		dead += end
	}
	g.DeadLetters.Set(float64(dead))
	for label, v := range g.Views {
		if lag, err := viewLag(client, v, n); err == nil {
			g.ViewLag.WithLabelValues(label).Set(float64(lag))
		}
	}
}

// viewLag returns the records of v's table topic that v has not applied:
// the end offsets are read before the applied ones, so that a view that
// keeps up is never counted behind by the records it applied meanwhile.
func viewLag(client sarama.Client, v ViewOffsets, n int) (int64, error) {
	end, err := kafka.EndOffsets(client, v.Topic, n)
	if err != nil {
		return 0, err
	}
	applied, err := v.Applied(n)
	if err != nil {
		return 0, err
	}
	var lag int64
	for p := range end {
		lag += max(0, end[p]-1-applied[p])
	}
	return lag, nil
}
