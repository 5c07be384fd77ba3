package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatstate/chatstate/server/protocol"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
)

// testConfig is a connection's configuration with the server's defaults.
func testConfig() *Config {
	return &Config{
		QueueSize: 1024, QueueBytes: 1 << 20, MaxFrameBytes: 64 << 10,
		PingInterval: 25 * time.Second, WriteTimeout: 10 * time.Second, Logger: slog.Default(),
		SlowClients: prometheus.NewCounter(prometheus.CounterOpts{Name: "slow"}),
		QueueDrops:  prometheus.NewCounter(prometheus.CounterOpts{Name: "drops"}),
		CheckOrigin: func(*http.Request) bool { return true },
		Refuse:      func(w http.ResponseWriter, status int, reason error) { http.Error(w, reason.Error(), status) },
	}
}

// socketConn returns a connection upgraded as /ws does, without its
// goroutines, and the client's end.
func socketConn(t *testing.T, cfg *Config) (*Conn, *websocket.Conn) {
	t.Helper()
	accepted := make(chan *Conn, 1)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, cfg, "u0", "s0")
		if err != nil {
			return
		}
		accepted <- c
	}))
	t.Cleanup(hs.Close)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(hs.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	c := <-accepted
	t.Cleanup(func() {
		c.Close(0, "")
		<-c.writerDone
		c.CloseSocket()
	})
	return c, ws
}

// pinger answers the ping requests of the protocol with a pong, as the
// server's sessions do.
type pinger struct{ c *Conn }

func (p pinger) Request(data []byte) {
	f, e := protocol.DecodeClientFrame(data)
	if e == nil && f.Op == "ping" {
		p.c.EnqueueAlways(protocol.MustJSON(protocol.PongFrame{Op: "pong", Ref: f.Ref}))
	}
}

func (pinger) NotText() {}

// TestWriteLoopFrames sends frames of every length class through the
// flusher and through write loops to a gorilla client, with the server's upgrade: each arrives whole,
// in order.
func TestWriteLoopFrames(t *testing.T) {
	for _, mode := range writeModes {
		t.Run(mode, func(t *testing.T) { testWriteFrames(t, mode) })
	}
}

// writing returns the server's configuration for mode, one of writeModes.
func writing(t *testing.T, mode string) *Config {
	cfg := testConfig()
	if mode == "flusher" {
		withFlusher(t, cfg)
	}
	return cfg
}

func testWriteFrames(t *testing.T, mode string) {
	c, ws := socketConn(t, writing(t, mode))

	var sent []string
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 200000} {
		sent = append(sent, strings.Repeat(string(rune('a'+len(sent))), n))
		c.EnqueueAlways([]byte(sent[len(sent)-1]))
	}
	for i, want := range sent {
		_ = ws.SetReadDeadline(time.Now().Add(time.Minute)) // against a hang only
		mt, p, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if mt != websocket.TextMessage || string(p) != want {
			t.Fatalf("frame %d: type %d, %d bytes; want text of %d bytes", i, mt, len(p), len(want))
		}
	}

	// A close drops what is still queued (a frame the write loop took
	// already goes out first), goes out, and the loop ends.
	c.EnqueueAlways([]byte("last"))
	c.Close(protocol.CloseSlowClient, "too slow")
	_ = ws.SetReadDeadline(time.Now().Add(time.Minute))
	for {
		_, p, err := ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != protocol.CloseSlowClient || ce.Text != "too slow" {
				t.Fatalf("closed with %v", ce)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if string(p) != "last" {
			t.Fatalf("got %q before the close", p)
		}
	}
	<-c.writerDone
}

// TestPingsGoThroughTheWriteLoop: the ping timer has the writes (the
// flusher's, or a write loop) send a ping every PingInterval, among the data frames, until the connection
// closes.
func TestPingsGoThroughTheWriteLoop(t *testing.T) {
	for _, mode := range writeModes {
		t.Run(mode, func(t *testing.T) { testPings(t, mode) })
	}
}

func testPings(t *testing.T, mode string) {
	cfg := writing(t, mode)
	cfg.PingInterval = 10 * time.Millisecond
	c, ws := socketConn(t, cfg)
	var pings atomic.Int64
	ws.SetPingHandler(func(string) error { pings.Add(1); return nil })
	frames := make(chan string, 100)
	go func() {
		defer close(frames)
		for {
			_, p, err := ws.ReadMessage()
			if err != nil {
				return
			}
			frames <- string(p)
		}
	}()
	c.StartPings()
	for i := 0; pings.Load() < 3; i++ {
		c.EnqueueAlways(fmt.Appendf(nil, "frame %d", i))
		if got, want := <-frames, fmt.Sprintf("frame %d", i); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	c.Close(protocol.CloseSlowClient, "bye")
	<-c.writerDone
	c.qmu.Lock()
	stopped := !c.ping.Stop() // false: stopped already
	c.qmu.Unlock()
	if !stopped {
		t.Fatal("the ping timer still runs after the last write loop")
	}
}
