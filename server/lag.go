package server

import (
	"context"
	"strconv"
	"time"

	"github.com/chatstate/chatstate/kafka"
	"github.com/lovoo/goka"
	"github.com/prometheus/client_golang/prometheus"
)

// lagEvery is how often the Kafka-side gauges are refreshed. They are read
// from the brokers in the background rather than on every scrape, so that
// a scrape never waits on Kafka.
const lagEvery = 5 * time.Second

// kafkaGauges are the metrics read from Kafka rather than counted by the
// server: how far each processor group is behind its input, and how many
// records the dead-letter topic holds.
type kafkaGauges struct {
	lag         *prometheus.GaugeVec
	deadLetters prometheus.Gauge
}

func newKafkaGauges() *kafkaGauges {
	return &kafkaGauges{
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "chatstate_processor_lag",
			Help: "Records of a group's input partition not yet committed by the group (end offset minus committed offset), refreshed every 5 s."},
			[]string{"group", "topic", "partition"}),
		deadLetters: prometheus.NewGauge(prometheus.GaugeOpts{Name: "chatstate_dead_letters",
			Help: "Records written to the dead-letter topic (the sum of its partitions' end offsets), refreshed every 5 s."}),
	}
}

// watchLag refreshes the Kafka-side gauges every lagEvery until ctx is done.
// A refresh that fails leaves the last values; the probe reports Kafka
// trouble on /readyz.
func (s *Server) watchLag(ctx context.Context) {
	t := time.NewTicker(lagEvery)
	defer t.Stop()
	for {
		s.refreshLag()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// refreshLag reads each topic's end offsets once and each group's committed
// offsets, and sets the gauges. A group that never committed a partition is
// behind by the partition's whole log.
func (s *Server) refreshLag() {
	names, n := s.kcfg.Names, s.kcfg.Partitions
	ends := map[string][]int64{}
	for _, t := range []goka.Stream{names.Events, names.Presence, names.Heartbeats, names.DeadLetter} {
		end, err := kafka.EndOffsets(s.client, string(t), n)
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
		committed, err := kafka.CommittedOffsets(s.client, group, topic, n)
		if err != nil {
			continue
		}
		for p, end := range ends[topic] {
			s.metrics.kafka.lag.WithLabelValues(group, topic, strconv.Itoa(p)).Set(float64(max(0, end-max(0, committed[p]))))
		}
	}
	var dead int64
	for _, end := range ends[string(names.DeadLetter)] {
		dead += end
	}
	s.metrics.kafka.deadLetters.Set(float64(dead))
}
