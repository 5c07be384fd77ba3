package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/fanout"
	"github.com/chatstate/chatstate/server/ops"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/chatstate/chatstate/server/transport"
	"github.com/gorilla/websocket"
)

// The benchmarks of this file measure the server's hot paths without Kafka:
// the fan-out of one event to the subscriptions of a room, through the hub
// into the connections' queues and (BenchmarkFanoutSockets) on through the
// write loops onto real loopback sockets. Run them with
//
//	go test -run '^$' -bench . -benchmem ./server

// benchServer is a server with what the fan-out needs and nothing that
// talks to Kafka.
func benchServer(queueSize int) *Server {
	s := &Server{cfg: Config{QueueSize: queueSize}.withDefaults(), conns: map[*conn]struct{}{}}
	s.metrics = ops.NewMetrics(s.Ready, nil)
	s.transport = s.transportConfig()
	s.hub = fanout.NewHub(8, s.cfg.QueueSize, s.metrics.Deliveries)
	return s
}

// benchConn is a session over tc, or, if tc is nil, over a connection
// without a socket (transport.Detached): what Dispatch and Enqueue touch,
// whose queue no write loop empties.
func benchConn(s *Server, i int, tc *transport.Conn) *conn {
	if tc == nil {
		tc = transport.Detached(s.transport, fmt.Sprintf("u%d", i), codec.NewID())
	}
	return &conn{Conn: tc, srv: s, rooms: map[string]*fanout.Subscription{}, leaving: map[string]*fanout.Subscription{}}
}

// benchEvent is a message event with a text of 200 bytes.
func benchEvent(room string) *codec.Event {
	e := codec.NewEvent(codec.Message, room, "alice")
	e.Text = strings.Repeat("x", 200)
	e.Server = "bench"
	return &e
}

// takeQueue does what the write loop does with a connection's queue when it
// takes a batch: take the frames, and give the slice back for the queue
// after the next batch.
func takeQueue(c *conn) int { return c.Take() }

// deliveryStats measures a benchmark of b.N dispatches to n subscribers
// from its start.
type deliveryStats struct {
	mem runtime.MemStats
	cpu time.Duration
}

func startDeliveries() *deliveryStats {
	d := &deliveryStats{cpu: processCPU()}
	runtime.ReadMemStats(&d.mem)
	return d
}

// processCPU is the CPU time of the process so far, user and system: the
// write loops' system calls are the part of a delivery that batching cuts.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds ns/delivery, cpu-ns/delivery (of the whole process, on all
// cores), allocs/delivery and B/delivery.
func (d *deliveryStats) report(b *testing.B, n int) {
	cpu := processCPU() - d.cpu
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	deliveries := float64(b.N) * float64(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/deliveries, "ns/delivery")
	b.ReportMetric(float64(cpu.Nanoseconds())/deliveries, "cpu-ns/delivery")
	b.ReportMetric(float64(m1.Mallocs-d.mem.Mallocs)/deliveries, "allocs/delivery")
	b.ReportMetric(float64(m1.TotalAlloc-d.mem.TotalAlloc)/deliveries, "B/delivery")
}

// BenchmarkFanoutQueues dispatches one event to the 1,000 live subscriptions
// of a room (Hub.Dispatch: one frame encoded, queued to every connection),
// and then empties every queue as the write loops do when they keep up.
// One op is one event: 1,000 deliveries.
func BenchmarkFanoutQueues(b *testing.B) {
	const n = 1000
	s := benchServer(0)
	conns := make([]*conn, n)
	for i := range conns {
		// The benchmark empties the queues itself: no write loop starts.
		conns[i] = benchConn(s, i, nil)
		sub, _, _ := s.hub.Subscribe(conns[i], "lobby")
		sub.GoLive(-1)
	}
	e := benchEvent("lobby")
	b.ReportAllocs()
	stats := startDeliveries()
	b.ResetTimer()
	for i := range b.N {
		cursor := int64(i)
		s.hub.Dispatch(e, cursor, func() []byte { return protocol.EncodeEvent(cursor, e) })
		for _, c := range conns {
			if takeQueue(c) != 1 {
				b.Fatal("a delivery is missing")
			}
		}
	}
	b.StopTimer()
	stats.report(b, n)
}

// BenchmarkFanoutSockets is the whole path of a delivery inside the server:
// Hub.Dispatch of one event to 1,000 connections, their write loops, and
// their batches written to real loopback TCP sockets (upgraded as /ws does),
// read and discarded by a client in the same process. One op is one event:
// 1,000 deliveries. allocs/delivery here includes the reading clients'
// (gorilla allocates a reader per message); writes/delivery counts the
// writes on the server's sockets, each one system call or more.
func BenchmarkFanoutSockets(b *testing.B) { fanoutSockets(b, false) }

// BenchmarkFanoutSocketsPaced is BenchmarkFanoutSockets with one event at a
// time: each op waits until the 1,000 clients have received the event
// before the next is dispatched, so every write loop starts, writes a batch
// of one frame and ends, as on connections of quiet rooms. It bounds the
// cost of a delivery that no batching amortizes.
func BenchmarkFanoutSocketsPaced(b *testing.B) { fanoutSockets(b, true) }

func fanoutSockets(b *testing.B, paced bool) {
	const n = 1000
	s := benchServer(1 << 30) // never close a connection as slow here
	accepted := make(chan *transport.Conn, n)
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tc, err := transport.Upgrade(w, r, s.transport, "bench", codec.NewID())
		if err != nil {
			return
		}
		accepted <- tc
	}))
	var writes atomic.Int64
	hs.Listener = countingListener{hs.Listener, &writes}
	hs.Start()
	defer hs.Close()

	var received atomic.Int64
	var clients []*websocket.Conn
	var conns []*conn
	defer func() {
		for _, c := range conns {
			c.Close(0, "")
			<-c.WriterDone()
			c.CloseSocket()
		}
		for _, ws := range clients {
			_ = ws.Close()
		}
	}()
	url := "ws" + strings.TrimPrefix(hs.URL, "http")
	for i := range n {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatalf("dial %d: %v", i, err)
		}
		clients = append(clients, ws)
		go func() {
			for {
				_, r, err := ws.NextReader()
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, r)
				received.Add(1)
			}
		}()
		c := benchConn(s, i, <-accepted)
		conns = append(conns, c)
		sub, _, _ := s.hub.Subscribe(c, "lobby")
		sub.GoLive(-1)
	}
	e := benchEvent("lobby")
	b.ReportAllocs()
	stats := startDeliveries()
	w0 := writes.Load()
	b.ResetTimer()
	deadline := time.Now().Add(time.Minute)
	wait := func(want int64) {
		for received.Load() < want {
			if time.Now().After(deadline) {
				b.Fatalf("received %d of %d deliveries", received.Load(), want)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	for i := range b.N {
		cursor := int64(i)
		s.hub.Dispatch(e, cursor, func() []byte { return protocol.EncodeEvent(cursor, e) })
		if paced {
			wait(int64(i+1) * n)
		}
	}
	want := int64(b.N) * n
	wait(want)
	b.StopTimer()
	stats.report(b, n)
	b.ReportMetric(float64(writes.Load()-w0)/float64(want), "writes/delivery")
}

// countingListener counts the writes on the connections it accepts.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}
