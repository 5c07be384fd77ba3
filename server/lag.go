package server

import (
	"context"
	"strconv"
	"time"

	"github.com/IBM/sarama"
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

func (s *Server) refreshLag() {
	names := s.kcfg.Names
	s.groupLag(string(names.RoomsGroup), string(names.Events))
	s.groupLag(string(names.UsersGroup), string(names.Presence))
	s.groupLag(string(names.ServersGroup), string(names.Presence))
	s.groupLag(string(names.ServersGroup), string(names.Heartbeats))
	var dead int64
	for p := range s.kcfg.Partitions {
		end, err := s.client.GetOffset(string(names.DeadLetter), int32(p), sarama.OffsetNewest)
		if err != nil {
			return
		}
		dead += end
	}
	s.metrics.kafka.deadLetters.Set(float64(dead))
}

// groupLag sets the lag of group on every partition of topic. A group that
// never committed a partition is behind by the partition's whole log.
func (s *Server) groupLag(group, topic string) {
	admin, err := sarama.NewClusterAdminFromClient(s.client)
	if err != nil {
		return
	}
	// The admin shares the server's client; closing it would close that.
	parts := make([]int32, s.kcfg.Partitions)
	for i := range parts {
		parts[i] = int32(i)
	}
	resp, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: parts})
	if err != nil {
		return
	}
	for _, p := range parts {
		end, err := s.client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return
		}
		committed := int64(0)
		if b := resp.GetBlock(topic, p); b != nil && b.Offset >= 0 {
			committed = b.Offset
		}
		s.metrics.kafka.lag.WithLabelValues(group, topic, strconv.Itoa(int(p))).Set(float64(max(0, end-committed)))
	}
}
