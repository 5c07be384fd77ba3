package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// stormReport is the outcome of a reconnect storm; its JSON form is the
// last line printed. Lost, duplicated and the other counts are the
// ordinary run's, counted per member and message across the cut.
type stormReport struct {
	Label          string  `json:"label,omitempty"`
	Mode           string  `json:"mode"` // "storm"
	Run            string  `json:"run"`
	URL            string  `json:"url"`
	Clients        int     `json:"clients"`
	Rooms          int     `json:"rooms"`
	RoomsPerConn   int     `json:"storm_rooms"`
	MembersPerRoom float64 `json:"members_per_room"`
	History        int     `json:"storm_history"`
	Away           int     `json:"storm_away"`
	Concurrency    int     `json:"storm_concurrency"`
	Payload        int     `json:"payload_bytes"`

	Connected        int     `json:"connected"`
	ConnectFailed    int     `json:"connect_failed"`
	ConnectSeconds   float64 `json:"connect_s"`
	ConnectLatency   summary `json:"connect_latency"`
	JoinCPUSeconds   float64 `json:"join_cpu_s"`
	JoinCPUMsPerJoin float64 `json:"join_cpu_ms_per_join"` // per room joined
	JoinRetries      int64   `json:"join_retries"`
	SettleSeconds    float64 `json:"settle_s"`

	Published          int            `json:"published"`
	Acked              int            `json:"acked"`
	PublishErrors      map[string]int `json:"publish_errors,omitempty"`
	CutSeconds         float64        `json:"cut_s"`
	AwayPublishSeconds float64        `json:"away_publish_s"`
	StormSettleSeconds float64        `json:"storm_settle_s"`

	// From the first reconnect until the last client had all its rooms
	// answered; per client, from its dial to its last answer.
	StormSeconds        float64  `json:"storm_s"`
	StormResumeLatency  summary  `json:"storm_resume_latency"`
	StormReconnected    int      `json:"storm_reconnected"`
	StormFailed         int      `json:"storm_failed"`
	StormFailures       []string `json:"storm_failures,omitempty"`
	StormResumes        int      `json:"storm_resumes"` // rooms resumed
	StormNotResumed     int64    `json:"storm_not_resumed"`
	StormTruncated      int64    `json:"storm_truncated"`
	StormStale          int64    `json:"storm_stale"` // resumed events at or below the cursor
	StormCPUSeconds     float64  `json:"storm_cpu_s"`
	StormCPUMsPerResume float64  `json:"storm_cpu_ms_per_resume"`

	Deliveries   int64          `json:"deliveries"`
	Expected     int64          `json:"expected"`
	Lost         int64          `json:"lost"`
	Duplicated   int64          `json:"duplicated"`
	Reordered    int64          `json:"reordered"`
	Foreign      int64          `json:"foreign"`
	Disconnected map[string]int `json:"disconnected,omitempty"`

	ServerSampled         bool    `json:"server_sampled"`
	ServerRSSBeforeMiB    float64 `json:"server_rss_before_mib"`
	ServerRSSConnectedMiB float64 `json:"server_rss_connected_mib"`
	ServerRSSEndMiB       float64 `json:"server_rss_end_mib"`
	ServerRSSPeakMiB      float64 `json:"server_rss_peak_mib"`
	BenchCPUSeconds       float64 `json:"bench_cpu_s"`

	OK      bool   `json:"ok"`
	Verdict string `json:"verdict"`
}

func newStormReport(cfg config) *stormReport {
	return &stormReport{Label: cfg.Label, Mode: "storm", Run: cfg.Run, URL: cfg.URL, Clients: cfg.Clients, Rooms: cfg.Rooms,
		RoomsPerConn: cfg.StormRooms, MembersPerRoom: float64(cfg.Clients*cfg.StormRooms) / float64(cfg.Rooms),
		History: cfg.StormHistory, Away: cfg.StormAway, Concurrency: cfg.StormConcurrency, Payload: cfg.Payload}
}

// joinCPU is the server's CPU between a and b, and per room joined.
func (r *stormReport) joinCPU(a, b procSample, joins int) {
	if a.Failed == "" && b.Failed == "" && joins > 0 {
		r.JoinCPUSeconds = (b.CPU - a.CPU).Seconds()
		r.JoinCPUMsPerJoin = r.JoinCPUSeconds * 1000 / float64(joins)
	}
}

// stormCPU is the server's CPU during the storm, and per room resumed.
func (r *stormReport) stormCPU(a, b procSample) {
	if a.Failed == "" && b.Failed == "" && r.StormResumes > 0 {
		r.StormCPUSeconds = (b.CPU - a.CPU).Seconds()
		r.StormCPUMsPerResume = r.StormCPUSeconds * 1000 / float64(r.StormResumes)
	}
}

// finish tallies the clients, whose read loops have ended, and the server
// samples: before connecting, connected, at the end.
func (r *stormReport) finish(f *stormFleet, s0, s1, s2 procSample, cpu0 time.Duration) {
	r.JoinRetries = f.joinRetries.Load()
	for _, ok := range f.led.acked {
		r.Published++
		if ok {
			r.Acked++
		}
	}
	r.PublishErrors = f.led.errors
	r.Deliveries, r.Expected = f.delivered.Load(), f.expected()
	for _, c := range f.clients {
		r.Lost += c.missing(f.led)
		r.Duplicated += c.dups
		r.Reordered += c.reorders
		r.Foreign += c.foreign
		r.StormNotResumed += c.notResumed
		r.StormTruncated += c.truncated
		r.StormStale += c.stale
		if c.closeErr != "" {
			if r.Disconnected == nil {
				r.Disconnected = map[string]int{}
			}
			r.Disconnected[c.closeErr]++
		}
	}
	r.BenchCPUSeconds = (selfCPU() - cpu0).Seconds()
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	if s0.Failed == "" && s2.Failed == "" {
		r.ServerSampled = true
		r.ServerRSSBeforeMiB, r.ServerRSSConnectedMiB = mib(s0.RSS), mib(s1.RSS)
		r.ServerRSSEndMiB, r.ServerRSSPeakMiB = mib(s2.RSS), mib(s2.HWM)
	}
	r.verdict()
}

// missing counts the acknowledged messages of c's rooms that c never
// received. Its read loops must have ended.
func (c *stormClient) missing(led *stormLedger) int64 {
	var n int64
	for _, room := range c.rooms {
		for id := room; id < len(led.room); id += led.rooms {
			if led.acked[id] && c.seen[id/64]&(1<<(id%64)) == 0 {
				n++
			}
		}
	}
	return n
}

// verdict sets OK and Verdict from the counts: every client connected,
// reconnected and resumed every room, and every message reached every
// member exactly once, in cursor order.
func (r *stormReport) verdict() {
	var bad []string
	add := func(n int64, f string) {
		if n > 0 {
			bad = append(bad, fmt.Sprintf(f, n))
		}
	}
	add(int64(r.ConnectFailed), "%d clients did not connect")
	add(int64(r.StormFailed), "%d clients did not reconnect and resume")
	add(int64(r.Published-r.Acked), "%d messages not acknowledged")
	add(r.StormNotResumed, "%d resumes not honoured (resumed false)")
	add(r.StormTruncated, "%d resumes truncated")
	add(r.StormStale, "%d resumed events at or below the cursor")
	add(r.Lost, "%d deliveries lost")
	add(r.Duplicated, "%d deliveries duplicated")
	add(r.Reordered, "%d events out of cursor order")
	add(r.Foreign, "%d messages of another room")
	r.OK = len(bad) == 0
	r.Verdict = "ok: every room resumed, no delivery lost, duplicated or out of order"
	if !r.OK {
		r.Verdict = strings.Join(bad, ", ")
	}
}

// print writes the readable table (unless jsonOnly) and the JSON line.
func (r *stormReport) print(w io.Writer, jsonOnly bool) {
	if !jsonOnly {
		r.table(w)
	}
	b, _ := json.Marshal(r)
	fmt.Fprintf(w, "%s\n", b)
}

func (r *stormReport) table(w io.Writer) {
	p := func(k, f string, a ...any) { fmt.Fprintf(w, "%-12s %s\n", k, fmt.Sprintf(f, a...)) }
	p("chatbench", "run %s %s against %s", r.Run, r.Label, r.URL)
	p("workload", "reconnect storm: %d clients, each in %d of %d rooms (%.4g members per room); %d messages per room before the cut, %d while away; %d reconnects in flight",
		r.Clients, r.RoomsPerConn, r.Rooms, r.MembersPerRoom, r.History, r.Away, r.Concurrency)
	c := r.ConnectLatency
	p("connect", "%d of %d connected and joined in %.2f s (per client p50 %.1f ms, p99 %.1f ms); %d joins retried",
		r.Connected, r.Clients, r.ConnectSeconds, c.P50, c.P99, r.JoinRetries)
	if r.ServerSampled {
		p("join CPU", "%.2f s of server CPU while connecting and joining: %.3f ms per room joined", r.JoinCPUSeconds, r.JoinCPUMsPerJoin)
	}
	p("published", "%d sent over HTTP, %d acked%s; the cut took %.2f s, publishing while away %.2f s, then %.1f s until the server was quiet",
		r.Published, r.Acked, sortedCounts(r.PublishErrors), r.CutSeconds, r.AwayPublishSeconds, r.StormSettleSeconds)
	s := r.StormResumeLatency
	p("storm", "%d of %d clients reconnected and resumed %d rooms in %.2f s (per client p50 %.1f ms, p99 %.1f ms, max %.1f ms)",
		r.StormReconnected, r.Connected, r.StormResumes, r.StormSeconds, s.P50, s.P99, s.Max)
	if r.ServerSampled {
		p("storm CPU", "%.2f s of server CPU during the storm: %.3f ms per room resumed", r.StormCPUSeconds, r.StormCPUMsPerResume)
	}
	p("resumes", "%d not honoured, %d truncated, %d with events at or below the cursor", r.StormNotResumed, r.StormTruncated, r.StormStale)
	p("deliveries", "%d received of %d expected across the cut: %d lost, %d duplicated, %d out of order, %d foreign",
		r.Deliveries, r.Expected, r.Lost, r.Duplicated, r.Reordered, r.Foreign)
	if len(r.Disconnected) > 0 {
		p("dropped", "connections ended unexpectedly:%s", sortedCounts(r.Disconnected))
	}
	for _, f := range r.StormFailures {
		p("failed", "%s", f)
	}
	if r.ServerSampled {
		p("server RSS", "%.1f MiB before, %.1f connected, %.1f at the end (peak %.1f)",
			r.ServerRSSBeforeMiB, r.ServerRSSConnectedMiB, r.ServerRSSEndMiB, r.ServerRSSPeakMiB)
	}
	p("chatbench", "%.2f s CPU (load generator, same machine)", r.BenchCPUSeconds)
	p("verdict", "%s", r.Verdict)
}
