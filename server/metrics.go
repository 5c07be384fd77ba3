package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are one server's Prometheus metrics, in a registry of its own so
// that several servers can live in one process (tests, dev).
type metrics struct {
	reg            *prometheus.Registry
	connections    prometheus.Gauge
	connects       prometheus.Counter
	joins          prometheus.Counter
	sends          prometheus.Counter // handed to Kafka
	acks           prometheus.Counter
	queueDrops     prometheus.Counter
	deliveries     prometheus.Counter
	slowClients    prometheus.Counter
	invalid        prometheus.Counter
	errors         *prometheus.CounterVec
	produceSeconds prometheus.Histogram
	deliverSeconds prometheus.Histogram
	kafka          *kafkaGauges
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg:         prometheus.NewRegistry(),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{Name: "chatstate_connections", Help: "Open WebSocket connections."}),
		connects:    prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_connections_total", Help: "WebSocket connections accepted."}),
		joins:       prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_joins_total", Help: "Joins answered with a snapshot."}),
		sends: prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_sends_total",
			Help: "Messages that passed the checks and were handed to Kafka, over WebSocket and HTTP."}),
		acks: prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_messages_acked_total",
			Help: "Messages acknowledged (an ack frame, or 200 to an HTTP post) after Kafka took them."}),
		queueDrops: prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_queue_dropped_frames_total",
			Help: "Frames still queued for a connection when it was closed (a slow client's whole queue), never sent."}),
		deliveries:  prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_deliveries_total", Help: "Event frames queued to clients."}),
		slowClients: prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_slow_client_disconnects_total", Help: "Connections closed with 4008 because their queue overflowed."}),
		invalid: prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_invalid_records_total",
			Help: "Records of the events topic that do not decode or validate (the processors dead-letter them)."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "chatstate_request_errors_total", Help: "Error frames and HTTP errors, by code."},
			[]string{"code"}),
		produceSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "chatstate_produce_seconds", Help: "Time until Kafka acknowledged a write.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		deliverSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "chatstate_delivery_seconds",
			Help:    "Time from an event's write to Kafka (its record timestamp, in milliseconds) until the tail handed it to the room's connections.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		kafka: newKafkaGauges(),
	}
	ready := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "chatstate_ready", Help: "1 when the server serves state."}, func() float64 {
		if s.Ready() {
			return 1
		}
		return 0
	})
	m.reg.MustRegister(m.connections, m.connects, m.joins, m.sends, m.acks, m.queueDrops, m.deliveries, m.slowClients, m.invalid, m.errors, m.produceSeconds, ready,
		m.deliverSeconds, m.kafka.lag, m.kafka.deadLetters,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The views are built after the metrics: read them at scrape time.
	for table, ready := range map[string]func() bool{
		"rooms":   func() bool { return s.rooms != nil && s.rooms.Ready() },
		"users":   func() bool { return s.users != nil && s.users.Ready() },
		"servers": func() bool { return s.servers != nil && s.servers.Ready() },
	} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "chatstate_view_ready",
			Help: "1 once the view of a table has recovered and serves reads.", ConstLabels: prometheus.Labels{"table": table}},
			func() float64 {
				if ready() {
					return 1
				}
				return 0
			}))
	}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
