package server

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/gorilla/websocket"
	"github.com/lovoo/goka"
)

// benchQuiet is a goka logger that drops everything.
type benchQuiet struct{}

func (benchQuiet) Print(...any)          {}
func (benchQuiet) Println(...any)        {}
func (benchQuiet) Printf(string, ...any) {}

// BenchmarkIdleConnections opens CHATSTATE_BENCH_CONNS (default 2,000)
// idle WebSocket connections to a real server on the embedded broker and
// reports what each costs once the garbage is collected: heap and goroutine
// stacks, per connection. The clients live in the same process (without
// goroutines, with 512-byte buffers), so heap-B/conn includes their side;
// stack-B/conn is the server's alone. With CHATSTATE_BENCH_HEAPPROFILE=FILE
// it writes a heap profile while the connections are open, to attribute
// the heap by allocation site:
//
//	CHATSTATE_BENCH_HEAPPROFILE=/tmp/conns.heap go test -run '^$' -bench IdleConnections -benchtime 1x ./server
//	go tool pprof -sample_index=inuse_space -top /tmp/conns.heap
func BenchmarkIdleConnections(b *testing.B) {
	n := 2000
	if v := os.Getenv("CHATSTATE_BENCH_CONNS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("CHATSTATE_BENCH_CONNS=%q", v)
		}
	}
	kcfg := testenv.Kafka(b, 8)
	dir := b.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var stopped []chan error
	defer func() {
		cancel()
		for _, c := range stopped {
			<-c
		}
	}()
	// The server is ready once the rooms group has caught up: run it.
	for _, mk := range []func() (*goka.Processor, error){
		func() (*goka.Processor, error) { return processors.NewRooms(kcfg, dir, goka.WithLogger(benchQuiet{})) },
		func() (*goka.Processor, error) { return processors.NewUsers(kcfg, dir, goka.WithLogger(benchQuiet{})) },
	} {
		p, err := mk()
		if err != nil {
			b.Fatal(err)
		}
		c := make(chan error, 1)
		stopped = append(stopped, c)
		go func() { c <- p.Run(ctx) }()
	}
	s, err := New(Config{ServerID: "bench", MaxConnsPerAddr: 1 << 20, MaxConnsPerUser: 1 << 20,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), GokaLogger: benchQuiet{}}, kcfg, dir)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	stopped = append(stopped, done)
	go func() { done <- s.Run(ctx) }()
	testenv.WaitFor(b, 30*time.Second, func() error {
		if !s.Ready() {
			return protocol.Errorf(protocol.CodeUnavailable, "not ready: %s", s.notReadyReason())
		}
		return nil
	})
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws?user="
	dialer := websocket.Dialer{ReadBufferSize: 512, WriteBufferSize: 512}

	for range b.N {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		g0 := runtime.NumGoroutine()
		clients := make([]*websocket.Conn, 0, n)
		for i := range n {
			ws, _, err := dialer.Dial(url+"u"+strconv.Itoa(i), nil)
			if err != nil {
				b.Fatalf("dial %d: %v", i, err)
			}
			if _, _, err := ws.ReadMessage(); err != nil { // hello
				b.Fatal(err)
			}
			clients = append(clients, ws)
		}
		// The write loops end once the hello is out, and net/http's
		// goroutines once their handler returned: count what stays.
		settled, stable := runtime.NumGoroutine(), 0
		testenv.WaitFor(b, 30*time.Second, func() error {
			if g := runtime.NumGoroutine(); g != settled {
				settled, stable = g, 0
			} else {
				stable++
			}
			if stable < 3 {
				return protocol.Errorf(protocol.CodeUnavailable, "goroutines still ending")
			}
			return nil
		})
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(int64(m1.HeapInuse)-int64(m0.HeapInuse))/float64(n), "heap-B/conn")
		b.ReportMetric(float64(int64(m1.StackInuse)-int64(m0.StackInuse))/float64(n), "stack-B/conn")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/float64(n), "goroutines/conn")
		if path := os.Getenv("CHATSTATE_BENCH_HEAPPROFILE"); path != "" {
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			if err := pprof.WriteHeapProfile(f); err != nil {
				b.Fatal(err)
			}
			_ = f.Close()
		}
		for _, ws := range clients {
			_ = ws.Close()
		}
		testenv.WaitFor(b, 30*time.Second, func() error {
			s.mu.Lock()
			left := len(s.conns)
			s.mu.Unlock()
			if left > 0 {
				return protocol.Errorf(protocol.CodeUnavailable, "%d connections still open", left)
			}
			return nil
		})
	}
}
