package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/server"
	"github.com/gorilla/websocket"
	"github.com/lovoo/goka"
)

// stack is a broker, both processors and one server behind a real HTTP
// listener.
type stack struct {
	t        *testing.T
	kcfg     kafka.Config
	dir      string
	srv      *server.Server
	http     *httptest.Server
	stopProc func()
	stopSrv  func()
}

func runProcessors(t *testing.T, kcfg kafka.Config, dir string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	for _, mk := range []func(kafka.Config, string, ...goka.ProcessorOption) (*goka.Processor, error){processors.NewRooms, processors.NewUsers} {
		p, err := mk(kcfg, dir)
		if err != nil {
			t.Fatal(err)
		}
		go func() { done <- p.Run(ctx) }()
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("processor: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return stop
}

func startServer(t *testing.T, kcfg kafka.Config, dir string, cfg server.Config) (*server.Server, *httptest.Server, func()) {
	t.Helper()
	srv, err := server.New(cfg, kcfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler())
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		hs.Close()
	}
	t.Cleanup(stop)
	testenv.WaitFor(t, 30*time.Second, func() error {
		if !srv.Ready() {
			return fmt.Errorf("server not ready")
		}
		return nil
	})
	return srv, hs, stop
}

func newStack(t *testing.T, cfg server.Config) *stack {
	t.Helper()
	s := &stack{t: t, kcfg: testenv.Kafka(t, 4), dir: t.TempDir()}
	s.stopProc = runProcessors(t, s.kcfg, s.dir)
	if cfg.ServerID == "" {
		cfg.ServerID = "s1"
	}
	s.srv, s.http, s.stopSrv = startServer(t, s.kcfg, s.dir, cfg)
	return s
}

// client is a WebSocket client that reads frames as generic maps.
type client struct {
	t    *testing.T
	ws   *websocket.Conn
	user string
}

type frame map[string]any

func (s *stack) dial(user string) *client {
	return dial(s.t, s.http.URL, user)
}

func dial(t *testing.T, base, user string) *client {
	t.Helper()
	url := "ws" + strings.TrimPrefix(base, "http") + "/ws?user=" + user
	ws, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		body := ""
		if resp != nil {
			b, _ := io.ReadAll(resp.Body)
			body = string(b)
		}
		t.Fatalf("dial %s: %v %s", url, err, body)
	}
	c := &client{t: t, ws: ws, user: user}
	t.Cleanup(func() { _ = ws.Close() })
	if f := c.next(); f["op"] != "hello" || f["user"] != user {
		t.Fatalf("first frame %v, want hello for %s", f, user)
	}
	return c
}

func (c *client) send(v any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("%s: write: %v", c.user, err)
	}
}

func (c *client) next() frame {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("%s: read: %v", c.user, err)
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		c.t.Fatalf("%s: frame %q: %v", c.user, data, err)
	}
	return f
}

// expect reads the next frame and checks its op and the given fields.
func (c *client) expect(op string, fields frame) frame {
	c.t.Helper()
	f := c.next()
	if f["op"] != op {
		c.t.Fatalf("%s: got %v, want op %s", c.user, f, op)
	}
	for k, v := range fields {
		if fmt.Sprint(f[k]) != fmt.Sprint(v) {
			c.t.Fatalf("%s: got %v, want %s=%v", c.user, f, k, v)
		}
	}
	return f
}

// expectEvent reads an event frame and checks the event's type and user.
func (c *client) expectEvent(room, typ, user string) (cursor int64, ev frame) {
	c.t.Helper()
	f := c.expect("event", frame{"room": room})
	ev = frame(f["event"].(map[string]any))
	if ev["type"] != typ || ev["user"] != user {
		c.t.Fatalf("%s: got event %v, want %s by %s", c.user, f, typ, user)
	}
	return int64(f["cursor"].(float64)), ev
}

func getJSON(t *testing.T, url string, into any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode
}

// ackAndEcho reads the ack of the send with ref and the event frame of the
// same message, in either order, and returns the acked cursor.
func (c *client) ackAndEcho(ref any) int64 {
	c.t.Helper()
	var ack, echo int64 = -2, -3
	for range 2 {
		f := c.next()
		switch f["op"] {
		case "ack":
			if fmt.Sprint(f["ref"]) != fmt.Sprint(ref) {
				c.t.Fatalf("%s: ack %v, want ref %v", c.user, f, ref)
			}
			ack = int64(f["cursor"].(float64))
		case "event":
			echo = int64(f["cursor"].(float64))
		default:
			c.t.Fatalf("%s: got %v, want ack and event", c.user, f)
		}
	}
	if ack != echo {
		c.t.Fatalf("%s: ack at %d, event at %d", c.user, ack, echo)
	}
	return ack
}
