package transport

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/gorilla/websocket"
)

// TestSilentClientIsDropped: a client that does not answer the pings is
// dropped two ping intervals after its last frame, not before, and the
// drop is logged; one that answers them stays, however long it sends
// nothing else.
func TestSilentClientIsDropped(t *testing.T) {
	const interval = 50 * time.Millisecond
	for _, mode := range readModes {
		t.Run(mode+"/silent", func(t *testing.T) {
			var logs testenv.SyncBuffer
			cfg := testConfig()
			cfg.PingInterval = interval
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			start := time.Now()
			c, ws, ended := served(t, mode, cfg, func(c *Conn) Requests { return pinger{c} })
			ws.SetPingHandler(func(string) error { return nil }) // no pong
			go func() {
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						return
					}
				}
			}()
			c.StartPings()
			waitEnded(t, ended, "for a silent client")
			if d := time.Since(start); d < 2*interval {
				t.Fatalf("dropped after %v, before two intervals of silence", d)
			}
			if out := logs.String(); !strings.Contains(out, "no pong within two ping intervals") {
				t.Fatalf("log %q, want the drop", out)
			}
		})
		t.Run(mode+"/half a frame", func(t *testing.T) {
			// The reader waits in the middle of a frame: the silence ends
			// that wait too.
			cfg := testConfig()
			cfg.PingInterval = interval
			c, ws, ended := served(t, mode, cfg, func(c *Conn) Requests { return pinger{c} })
			if _, err := ws.NetConn().Write(frame(0x81, []byte("hello"))[:4]); err != nil {
				t.Fatal(err)
			}
			c.StartPings()
			waitEnded(t, ended, "for a client silent in the middle of a frame")
		})
		t.Run(mode+"/answering", func(t *testing.T) {
			cfg := testConfig()
			cfg.PingInterval = interval
			c, ws, ended := served(t, mode, cfg, func(c *Conn) Requests { return pinger{c} })
			var pings atomic.Int64
			ws.SetPingHandler(func(data string) error {
				pings.Add(1)
				return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Minute))
			})
			go func() {
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						return
					}
				}
			}()
			c.StartPings()
			deadline := time.Now().Add(time.Minute)
			for pings.Load() < 8 { // four times the silence that drops
				select {
				case <-ended:
					t.Fatalf("a client that answers the pings was dropped after %d pings", pings.Load())
				case <-time.After(interval):
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d pings in a minute", pings.Load())
				}
			}
		})
	}
}
