package main

import (
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// latencies is a latency histogram that many goroutines record into: it is
// split into shards, each under its own lock, because one HDR histogram per
// client would take hundreds of MiB for thousands of clients. Values are
// microseconds, from 1 µs to one hour, with three significant digits.
type latencies struct {
	shards []latencyShard
}

type latencyShard struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
	_  [40]byte // keep shards on separate cache lines
}

const maxLatencyMicros = int64(time.Hour / time.Microsecond)

func newLatencies(shards int) *latencies {
	l := &latencies{shards: make([]latencyShard, shards)}
	for i := range l.shards {
		l.shards[i].h = hdrhistogram.New(1, maxLatencyMicros, 3)
	}
	return l
}

// record adds one latency; shard picks the shard (any int, e.g. a client
// number). Values out of range are clamped.
func (l *latencies) record(shard int, d time.Duration) {
	us := min(max(int64(d/time.Microsecond), 1), maxLatencyMicros)
	s := &l.shards[shard%len(l.shards)]
	s.mu.Lock()
	_ = s.h.RecordValue(us)
	s.mu.Unlock()
}

// merged returns all shards in one histogram.
func (l *latencies) merged() *hdrhistogram.Histogram {
	out := hdrhistogram.New(1, maxLatencyMicros, 3)
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		out.Merge(s.h)
		s.mu.Unlock()
	}
	return out
}

// summary is the percentiles of a histogram, in milliseconds.
type summary struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

func summarize(h *hdrhistogram.Histogram) summary {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	if h.TotalCount() == 0 {
		return summary{}
	}
	return summary{
		Count: h.TotalCount(),
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
	}
}

// Message states in the ledger.
const (
	msgUnsent int32 = iota
	msgSent
	msgAcked
	msgFailed
)

// ledger tracks every message of the run: when it was sent and whether the
// server acknowledged it. Message ids index it.
type ledger struct {
	sendNs []atomic.Int64
	state  []atomic.Int32
	acks   *latencies

	mu     sync.Mutex
	errors map[string]int // publish errors by code or HTTP status
}

func newLedger(n int) *ledger {
	return &ledger{sendNs: make([]atomic.Int64, n), state: make([]atomic.Int32, n),
		acks: newLatencies(16), errors: map[string]int{}}
}

// sent records that message id left at sendNs.
func (l *ledger) sent(id int, sendNs int64) {
	l.sendNs[id].Store(sendNs)
	l.state[id].Store(msgSent)
}

// acked records the server's acknowledgement of message id at nowNs.
func (l *ledger) acked(id int, nowNs int64) {
	if id < 0 || id >= len(l.state) || !l.state[id].CompareAndSwap(msgSent, msgAcked) {
		return
	}
	l.acks.record(id, time.Duration(nowNs-l.sendNs[id].Load()))
}

// failed records that message id was refused or its fate is unknown.
func (l *ledger) failed(id int, code string) {
	if id >= 0 && id < len(l.state) {
		l.state[id].Store(msgFailed)
	}
	l.mu.Lock()
	l.errors[code]++
	l.mu.Unlock()
}

// counts returns how many messages were sent (acked or not), acked, failed.
func (l *ledger) counts() (sent, acked, failed int) {
	for i := range l.state {
		switch l.state[i].Load() {
		case msgSent:
			sent++
		case msgAcked:
			sent++
			acked++
		case msgFailed:
			sent++
			failed++
		}
	}
	return sent, acked, failed
}

func (l *ledger) errorCounts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.errors))
	for k, v := range l.errors {
		out[k] = v
	}
	return out
}
