package ops

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are one server's Prometheus metrics, in a registry of its own so
// that several servers can live in one process (tests, dev). The metrics
// are safe for concurrent use, as prometheus's are; the fields are set by
// NewMetrics and must not be replaced.
type Metrics struct {
	// Registry holds every metric below, the Go and process collectors,
	// and what callers register themselves (the tail's).
	Registry *prometheus.Registry
	// Connections is the gauge of open WebSocket connections.
	Connections prometheus.Gauge
	// Connects counts the WebSocket connections accepted.
	Connects prometheus.Counter
	// Joins counts the joins answered with a snapshot.
	Joins prometheus.Counter
	// JoinsFromMemory counts the joins whose snapshot came from the
	// server's copy of the room, without a read of the view or the log.
	JoinsFromMemory prometheus.Counter
	// Sends counts the messages handed to Kafka, over WebSocket and HTTP.
	Sends prometheus.Counter
	// Acks counts the messages acknowledged after Kafka took them.
	Acks prometheus.Counter
	// QueueDrops counts the frames still queued when a connection closed.
	QueueDrops prometheus.Counter
	// Deliveries counts the event frames queued to connections.
	Deliveries prometheus.Counter
	// SlowClients counts the connections closed with 4008.
	SlowClients prometheus.Counter
	// Invalid counts the records of the events topic the tail passed over.
	Invalid prometheus.Counter
	// Errors counts error frames and HTTP errors, by code (label "code").
	Errors *prometheus.CounterVec
	// ProduceSeconds observes the time until Kafka acknowledged a write.
	ProduceSeconds prometheus.Histogram
	// DeliverSeconds observes the time from an event's record timestamp
	// until the tail handed it to the room's connections.
	DeliverSeconds prometheus.Histogram
	// Sweeps counts the presence expiry sweeps done: rounds that made a
	// plan from the servers table (seen current when the plan expires
	// sessions) and carried it out. It stops growing while sweeps stall
	// (the servers view not ready, or the table not current while sessions
	// are due to expire): the alert on stalled sweeps watches it.
	Sweeps prometheus.Counter
	// Expired counts the sessions this server expired (expire events
	// written for the sessions of a silent or earlier instance).
	Expired prometheus.Counter
	// Kafka are the gauges read from Kafka; WatchLag refreshes them.
	Kafka *KafkaGauges
}

// NewMetrics returns the metrics of one server, registered in a new
// registry, with the gauge chatstate_ready reading ready and one gauge
// chatstate_view_ready per entry of views (table name → its readiness).
// ready and the views' functions are called at scrape time, on the
// scraper's goroutine: they must be safe for concurrent use and not block.
func NewMetrics(ready func() bool, views map[string]func() bool) *Metrics {
	m := &Metrics{
		Registry:    prometheus.NewRegistry(),
		Connections: prometheus.NewGauge(prometheus.GaugeOpts{Name: "chatstate_connections", Help: "Open WebSocket connections."}),
		Connects:    prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_connections_total", Help: "WebSocket connections accepted."}),
		Joins:       prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_joins_total", Help: "Joins answered with a snapshot."}),
		JoinsFromMemory: prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_joins_from_memory_total",
			Help: "Joins whose snapshot came from the server's copy of the room, without a read of the view or the log."}),
		Sends: prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_sends_total",
			Help: "Messages that passed the checks and were handed to Kafka, over WebSocket and HTTP."}),
		Acks: prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_messages_acked_total",
			Help: "Messages acknowledged (an ack frame, or 200 to an HTTP post) after Kafka took them."}),
		QueueDrops: prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_queue_dropped_frames_total",
			Help: "Frames still queued for a connection when it was closed (a slow client's whole queue), never sent."}),
		Deliveries:  prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_deliveries_total", Help: "Event frames queued to clients."}),
		SlowClients: prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_slow_client_disconnects_total", Help: "Connections closed with 4008 because their queue overflowed."}),
		Invalid: prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_invalid_records_total",
			Help: "Records of the events topic that do not decode or validate (the processors dead-letter them)."}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "chatstate_request_errors_total", Help: "Error frames and HTTP errors, by code."},
			[]string{"code"}),
		ProduceSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "chatstate_produce_seconds", Help: "Time until Kafka acknowledged a write.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		DeliverSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "chatstate_delivery_seconds",
			Help:    "Time from an event's write to Kafka (its record timestamp, in milliseconds) until the tail handed it to the room's connections.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		Sweeps: prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_presence_sweeps_total",
			Help: "Presence expiry sweeps done: a plan made from the servers table, seen current when the plan expires sessions, and carried out."}),
		Expired: prometheus.NewCounter(prometheus.CounterOpts{Name: "chatstate_presence_expired_sessions_total",
			Help: "Sessions expired by this server: expire events written for the sessions of a silent or earlier instance."}),
		Kafka: NewKafkaGauges(),
	}
	readyGauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "chatstate_ready", Help: "1 when the server serves state."}, func() float64 {
		if ready() {
			return 1
		}
		return 0
	})
	m.Registry.MustRegister(m.Connections, m.Connects, m.Joins, m.JoinsFromMemory, m.Sends, m.Acks, m.QueueDrops, m.Deliveries, m.SlowClients, m.Invalid, m.Errors, m.ProduceSeconds, readyGauge,
		m.DeliverSeconds, m.Sweeps, m.Expired, m.Kafka.Lag, m.Kafka.DeadLetters, m.Kafka.ViewLag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for table, viewReady := range views {
		m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "chatstate_view_ready",
			Help: "1 once the view of a table has recovered and serves reads.", ConstLabels: prometheus.Labels{"table": table}},
			func() float64 {
				if viewReady() {
					return 1
				}
				return 0
			}))
	}
	return m
}

// Handler returns the handler of GET /metrics: the registry in the
// Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
