package transport

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestIdleConnectionsCostNoGoroutine: 50 idle connections watched by the
// poller add no goroutine, where read loops add one each; either way each
// connection still answers a request.
func TestIdleConnectionsCostNoGoroutine(t *testing.T) {
	const n = 50
	for _, mode := range readModes {
		t.Run(mode, func(t *testing.T) {
			cfg := testConfig()
			if mode == "poller" {
				withPoller(t, cfg)
			}
			accepted := make(chan *Conn, n)
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c, err := Upgrade(w, r, cfg, "u", "s"); err == nil {
					accepted <- c
				}
			}))
			t.Cleanup(hs.Close)
			// One connection first, so that the server's own goroutines
			// are counted in the base.
			clients := make([]*websocket.Conn, 0, n)
			dial := func() *Conn {
				ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(hs.URL, "http"), nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = ws.Close() })
				clients = append(clients, ws)
				c := <-accepted
				ended := make(chan struct{})
				go c.Serve(pinger{c}, func() { close(ended) })
				t.Cleanup(func() {
					c.endRead()
					<-ended
					c.Close(0, "")
					<-c.writerDone
					c.CloseSocket()
				})
				return c
			}
			dial()
			base := settled(t, 0)
			for range n - 1 {
				dial()
			}
			got := settled(t, base) - base
			if mode == "poller" && got > 5 {
				t.Fatalf("%d idle connections added %d goroutines, want none", n-1, got)
			}
			if mode == "read loop" && got < n-1 {
				t.Fatalf("%d idle connections on read loops added %d goroutines, want one each", n-1, got)
			}
			for i, ws := range clients {
				if err := ws.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"op":"ping","ref":"%d"}`, i)); err != nil {
					t.Fatal(err)
				}
				_ = ws.SetReadDeadline(time.Now().Add(time.Minute)) // against a hang only
				_, p, err := ws.ReadMessage()
				if want := fmt.Sprintf(`{"op":"pong","ref":"%d"}`, i); err != nil || string(p) != want {
					t.Fatalf("connection %d answered %q, %v; want %s", i, p, err, want)
				}
			}
		})
	}
}

// settled returns the count of goroutines once it stopped falling, the
// handlers of the upgrades having returned: the count when it stayed the
// same over 20 looks 5 ms apart, at least min.
func settled(t *testing.T, min int) int {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	last, same := -1, 0
	for same < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("the count of goroutines did not settle: %d", last)
		}
		n := runtime.NumGoroutine()
		if n == last && n >= min {
			same++
		} else {
			last, same = n, 0
		}
		time.Sleep(5 * time.Millisecond)
	}
	return last
}

// TestPollerEndsAfterItsConnections: Close does not end the poller's Run
// while a connection it watches reads; Run returns once that has ended.
func TestPollerEndsAfterItsConnections(t *testing.T) {
	p := NewPoller()
	if p == nil {
		t.Skip("no poller on this system")
	}
	ran := make(chan error, 1)
	go func() { ran <- p.Run() }()
	waitPollerRunning(t, p)
	cfg := testConfig()
	cfg.Poller = p
	c, ws := socketConn(t, cfg)
	ended := make(chan struct{})
	go c.Serve(pinger{c}, func() { close(ended) })
	waitPolled(t, c)
	p.Close()
	// The connection is still read after Close.
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"op":"ping","ref":"x"}`)); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(time.Minute))
	if _, got, err := ws.ReadMessage(); err != nil || string(got) != `{"op":"pong","ref":"x"}` {
		t.Fatalf("after Close the connection answered %q, %v", got, err)
	}
	select {
	case err := <-ran:
		t.Fatalf("Run returned %v while a connection was watched", err)
	default:
	}
	c.endRead()
	waitEnded(t, ended, "after endRead")
	select {
	case err := <-ran:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after the last connection ended")
	}
}
