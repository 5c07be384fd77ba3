package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// report is the outcome of one run; its JSON form is the last line printed.
type report struct {
	Label          string  `json:"label,omitempty"`
	Run            string  `json:"run"`
	URL            string  `json:"url"`
	Publish        string  `json:"publish"`
	Clients        int     `json:"clients"`
	Rooms          int     `json:"rooms"`
	MembersPerRoom float64 `json:"members_per_room"`
	Rate           float64 `json:"rate"`
	DurationS      float64 `json:"duration_s"`
	WarmupS        float64 `json:"warmup_s"`
	Payload        int     `json:"payload_bytes"`

	Connected      int     `json:"connected"`
	ConnectFailed  int     `json:"connect_failed"`
	ConnectSeconds float64 `json:"connect_s"`
	ConnectLatency summary `json:"connect_latency"`
	JoinRetries    int64   `json:"join_retries"`
	// The server's CPU time while the clients connected and joined, and
	// that per join (the workload's clients each join one room).
	JoinCPUSeconds   float64 `json:"join_cpu_s"`
	JoinCPUMsPerJoin float64 `json:"join_cpu_ms_per_join"`
	SettleSeconds    float64 `json:"settle_s"`

	Published         int            `json:"published"`
	Acked             int            `json:"acked"`
	PublishFailed     int            `json:"publish_failed"`
	PublishErrors     map[string]int `json:"publish_errors,omitempty"`
	PublishSeconds    float64        `json:"publish_s"`
	PublisherMaxLagMs float64        `json:"publisher_max_lag_ms"`
	AckLatency        summary        `json:"ack_latency"`

	Deliveries      int64          `json:"deliveries"`
	Expected        int64          `json:"expected"`
	Lost            int64          `json:"lost"`
	Duplicated      int64          `json:"duplicated"`
	Reordered       int64          `json:"reordered"`
	Foreign         int64          `json:"foreign"`
	Disconnected    map[string]int `json:"disconnected,omitempty"`
	DeliveriesPerS  float64        `json:"deliveries_per_s"`
	DeliveryLatency summary        `json:"delivery_latency"`
	// From the server's /metrics over the publishing window: the mean time
	// Kafka took to acknowledge a write, and the event frames it queued.
	ServerProduceMeanMs float64 `json:"server_produce_mean_ms"`
	ServerQueued        int64   `json:"server_queued_deliveries"`

	ServerSampled         bool    `json:"server_sampled"`
	ServerCPUSeconds      float64 `json:"server_cpu_s"`
	ServerCores           float64 `json:"server_cores"`
	ServerCPUPer100k      float64 `json:"server_cpu_s_per_100k_deliveries"`
	ServerRSSBeforeMiB    float64 `json:"server_rss_before_mib"`
	ServerRSSConnectedMiB float64 `json:"server_rss_connected_mib"`
	ServerRSSEndMiB       float64 `json:"server_rss_end_mib"`
	ServerRSSPeakMiB      float64 `json:"server_rss_peak_mib"`
	RSSPerConnKiB         float64 `json:"server_rss_per_conn_kib"`
	BenchCPUSeconds       float64 `json:"bench_cpu_s"`

	OK      bool   `json:"ok"`
	Verdict string `json:"verdict"`
}

func newReport(cfg config) *report {
	return &report{
		Label: cfg.Label, Run: cfg.Run, URL: cfg.URL, Publish: cfg.Publish, Clients: cfg.Clients, Rooms: cfg.Rooms,
		MembersPerRoom: float64(cfg.Clients) / float64(cfg.Rooms), Rate: cfg.Rate,
		DurationS: cfg.Duration.Seconds(), WarmupS: cfg.Warmup.Seconds(), Payload: cfg.Payload,
	}
}

// finish fills in the figures from the fleet, whose read loops have ended,
// and the server samples: before connecting, connected, at the end.
func (r *report) finish(f *fleet, s0, s1, s2 procSample, cpu0 time.Duration, window time.Duration) {
	r.JoinRetries = f.joinRetries.Load()
	r.Published, r.Acked, r.PublishFailed = f.ledger.counts()
	r.PublishErrors = f.ledger.errorCounts()
	r.AckLatency = summarize(f.ledger.acks.merged())
	r.Deliveries, r.Expected, r.Lost = f.delivered.Load(), f.expected(), f.lost()
	for _, c := range f.all {
		r.Duplicated += c.dups
		r.Reordered += c.reorders
		r.Foreign += c.foreign
		if c.closeErr != "" {
			if r.Disconnected == nil {
				r.Disconnected = map[string]int{}
			}
			r.Disconnected[fmt.Sprintf("code %d", c.closeCode)]++
		}
	}
	r.DeliveryLatency = summarize(f.lat.merged())
	if r.DurationS > 0 {
		r.DeliveriesPerS = float64(f.measured.Load()) / r.DurationS
	}
	r.BenchCPUSeconds = (selfCPU() - cpu0).Seconds()

	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	if s0.Failed == "" && s2.Failed == "" {
		r.ServerSampled = true
		r.ServerCPUSeconds = (s2.CPU - s1.CPU).Seconds()
		if window > 0 {
			r.ServerCores = r.ServerCPUSeconds / window.Seconds()
		}
		if r.Deliveries > 0 {
			r.ServerCPUPer100k = r.ServerCPUSeconds / float64(r.Deliveries) * 1e5
		}
		r.ServerRSSBeforeMiB, r.ServerRSSConnectedMiB = mib(s0.RSS), mib(s1.RSS)
		r.ServerRSSEndMiB, r.ServerRSSPeakMiB = mib(s2.RSS), mib(s2.HWM)
		// Idle runs measure memory after holding the connections; loaded
		// runs right after connecting, before messages add their share.
		held := s1.RSS
		if r.Rate == 0 {
			held = s2.RSS
		}
		if r.Connected > 0 {
			r.RSSPerConnKiB = float64(held-s0.RSS) / 1024 / float64(r.Connected)
		}
	}

	var bad []string
	if r.ConnectFailed > 0 {
		bad = append(bad, fmt.Sprintf("%d clients did not connect", r.ConnectFailed))
	}
	if r.Lost > 0 {
		bad = append(bad, fmt.Sprintf("%d deliveries lost", r.Lost))
	}
	if r.Duplicated > 0 {
		bad = append(bad, fmt.Sprintf("%d deliveries duplicated", r.Duplicated))
	}
	if r.Reordered > 0 {
		bad = append(bad, fmt.Sprintf("%d events out of cursor order", r.Reordered))
	}
	r.OK = len(bad) == 0
	r.Verdict = "ok: no delivery lost, duplicated or out of order"
	if !r.OK {
		r.Verdict = strings.Join(bad, ", ")
	}
}

// joinCPU fills in the server's CPU time between a, before the clients
// connected, and b, once they had joined, and that per join; nothing
// without samples or joins.
func (r *report) joinCPU(a, b procSample, joins int) {
	if a.Failed != "" || b.Failed != "" || joins == 0 {
		return
	}
	r.JoinCPUSeconds = (b.CPU - a.CPU).Seconds()
	r.JoinCPUMsPerJoin = r.JoinCPUSeconds * 1000 / float64(joins)
}

// print writes the readable table (unless jsonOnly) and the JSON line.
func (r *report) print(w io.Writer, jsonOnly bool) {
	if !jsonOnly {
		r.table(w)
	}
	b, _ := json.Marshal(r)
	fmt.Fprintf(w, "%s\n", b)
}

func (r *report) table(w io.Writer) {
	p := func(k, f string, a ...any) { fmt.Fprintf(w, "%-12s %s\n", k, fmt.Sprintf(f, a...)) }
	p("chatbench", "run %s %s against %s", r.Run, r.Label, r.URL)
	if r.Rate == 0 {
		p("workload", "%d idle clients in %d rooms (%.4g per room), held %gs", r.Clients, r.Rooms, r.MembersPerRoom, r.DurationS)
	} else {
		p("workload", "%d clients in %d rooms (%.4g per room), %g msg/s over %s, %d B, %gs measured after %gs warmup",
			r.Clients, r.Rooms, r.MembersPerRoom, r.Rate, r.Publish, r.Payload, r.DurationS, r.WarmupS)
	}
	c := r.ConnectLatency
	p("connect", "%d of %d connected and joined in %.2f s (per client p50 %.1f ms, p99 %.1f ms, max %.1f ms); %d joins retried",
		r.Connected, r.Clients, r.ConnectSeconds, c.P50, c.P99, c.Max, r.JoinRetries)
	if r.ServerSampled {
		p("join CPU", "%.2f s of server CPU while connecting and joining: %.3f ms per join", r.JoinCPUSeconds, r.JoinCPUMsPerJoin)
	}
	p("settle", "%.1f s until the server was quiet (under 0.2 cores) after the joins", r.SettleSeconds)
	if r.Rate > 0 {
		p("published", "%d sent, %d acked, %d failed%s; publisher at most %.1f ms behind schedule",
			r.Published, r.Acked, r.PublishFailed, sortedCounts(r.PublishErrors), r.PublisherMaxLagMs)
		p("deliveries", "%d received of %d expected: %d lost, %d duplicated, %d out of order, %d foreign; %.0f/s measured",
			r.Deliveries, r.Expected, r.Lost, r.Duplicated, r.Reordered, r.Foreign, r.DeliveriesPerS)
		fmt.Fprintf(w, "%-12s %9s %9s %9s %9s %9s %9s\n", "latency ms", "p50", "p90", "p99", "p99.9", "max", "count")
		for _, row := range []struct {
			name string
			s    summary
		}{{"  delivery", r.DeliveryLatency}, {"  ack", r.AckLatency}} {
			fmt.Fprintf(w, "%-12s %9.3f %9.3f %9.3f %9.3f %9.3f %9d\n", row.name, row.s.P50, row.s.P90, row.s.P99, row.s.P999, row.s.Max, row.s.Count)
		}
	}
	if r.Rate > 0 && r.ServerProduceMeanMs > 0 {
		p("server side", "Kafka acknowledged its writes in %.2f ms on average; it queued %d event frames (all kinds)",
			r.ServerProduceMeanMs, r.ServerQueued)
	}
	if len(r.Disconnected) > 0 {
		p("dropped", "the server closed clients:%s", sortedCounts(r.Disconnected))
	}
	if r.ServerSampled {
		if r.Rate > 0 {
			p("server CPU", "%.2f s (%.2f cores), %.2f s per 100,000 deliveries", r.ServerCPUSeconds, r.ServerCores, r.ServerCPUPer100k)
		}
		p("server RSS", "%.1f MiB before, %.1f connected, %.1f at the end (peak %.1f): %.1f KiB per connection",
			r.ServerRSSBeforeMiB, r.ServerRSSConnectedMiB, r.ServerRSSEndMiB, r.ServerRSSPeakMiB, r.RSSPerConnKiB)
	} else {
		p("server", "not sampled (give --server-pid)")
	}
	p("chatbench", "%.2f s CPU (load generator, same machine)", r.BenchCPUSeconds)
	p("verdict", "%s", r.Verdict)
}

// sortedCounts renders counts by key, in key order.
func sortedCounts(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
