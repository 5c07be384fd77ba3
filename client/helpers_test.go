package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatstate/chatstate/client"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server"
	"github.com/gorilla/websocket"
)

const wait = 60 * time.Second // the bound of every wait of a test

// stack is a Kafka, the processors and a server behind a front whose
// address stays across server restarts and new logs.
type stack struct {
	t      *testing.T
	cfg    server.Config
	kcfg   kafka.Config
	dir    string
	b      *backend
	f      *front
	broker *testenv.RestartableBroker
	url    string
}

func newStack(t *testing.T, cfg server.Config) *stack {
	t.Helper()
	return startStack(t, cfg, testenv.Kafka(t, 4), nil)
}

// newRestartableStack runs on a broker the test can stop and start.
func newRestartableStack(t *testing.T, cfg server.Config) *stack {
	t.Helper()
	br, kcfg := testenv.RestartableKafka(t, 4)
	return startStack(t, cfg, kcfg, br)
}

func startStack(t *testing.T, cfg server.Config, kcfg kafka.Config, br *testenv.RestartableBroker) *stack {
	t.Helper()
	s := &stack{t: t, cfg: cfg, kcfg: kcfg, dir: t.TempDir(), f: newFront(), broker: br}
	s.url = s.f.hs.URL
	s.start()
	t.Cleanup(func() {
		s.f.hs.Close()
		if s.b != nil {
			if err := s.b.stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
		}
	})
	return s
}

func (s *stack) start() {
	s.t.Helper()
	b, err := startBackend(s.kcfg, s.dir, s.cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	s.b = b
	s.f.serve(b)
}

// restartServer stops the server (1001 to its clients, after their
// leaves) and starts it again on the same log and state.
func (s *stack) restartServer() {
	s.t.Helper()
	s.f.serve(nil)
	if err := s.b.stopServer(); err != nil {
		s.t.Fatal(err)
	}
	srv, err := server.New(withQuiet(s.cfg), s.kcfg, s.dir)
	if err != nil {
		s.t.Fatal(err)
	}
	b := &backend{srv: srv, stopProc: s.b.stopProc, procDone: s.b.procDone, procs: s.b.procs, srvDone: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	b.stopSrv = cancel
	go func() { b.srvDone <- srv.Run(ctx) }()
	testenv.WaitFor(s.t, wait, func() error {
		if !srv.Ready() {
			return fmt.Errorf("restarted server not ready")
		}
		return nil
	})
	s.b = b
	s.f.serve(b)
}

// newLog replaces everything behind the front by a stack on a new Kafka:
// a new log, so a new epoch.
func (s *stack) newLog() {
	s.t.Helper()
	s.f.serve(nil)
	if err := s.b.stop(); err != nil {
		s.t.Fatal(err)
	}
	s.b = nil
	s.kcfg = testenv.Kafka(s.t, 4)
	s.dir = s.t.TempDir()
	s.start()
}

func withQuiet(cfg server.Config) server.Config {
	if cfg.ServerID == "" {
		cfg.ServerID = "s1"
	}
	cfg.Logger, cfg.GokaLogger = quiet, quietGoka{}
	return cfg
}

// conns records the connections a client dials, so that a test can cut
// them under it.
type conns struct {
	mu   sync.Mutex
	list []net.Conn
}

func (cs *conns) dialer() *websocket.Dialer {
	return &websocket.Dialer{HandshakeTimeout: 10 * time.Second, NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			cs.mu.Lock()
			cs.list = append(cs.list, c)
			cs.mu.Unlock()
		}
		return c, err
	}}
}

// cut closes the newest connection, as a network failure would.
func (cs *conns) cut() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	_ = cs.list[len(cs.list)-1].Close()
}

func (cs *conns) count() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.list)
}

// states records a client's states in order.
type states struct {
	mu   sync.Mutex
	list []client.State
}

func (s *states) add(st client.State) { s.mu.Lock(); s.list = append(s.list, st); s.mu.Unlock() }
func (s *states) String() string      { s.mu.Lock(); defer s.mu.Unlock(); return fmt.Sprint(s.list) }

// dial connects user with opts (URL and User filled in) and closes the
// client when the test ends.
func dial(t *testing.T, s *stack, user string, opts client.Options) *client.Client {
	t.Helper()
	opts.URL, opts.User = s.url, user
	if opts.BackoffMax == 0 {
		opts.BackoffMin, opts.BackoffMax = 20*time.Millisecond, 200*time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := client.Dial(ctx, opts)
	if err != nil {
		t.Fatalf("dial %s: %v", user, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func join(t *testing.T, c *client.Client, room string) *client.Room {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	r, err := c.Join(ctx, room, client.JoinOptions{})
	if err != nil {
		t.Fatalf("join %s: %v", room, err)
	}
	return r
}

func send(t *testing.T, r *client.Room, text string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cur, err := r.Send(ctx, text)
	if err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
	return cur
}

// collector receives a room's updates as an application would.
type collector struct {
	mu   sync.Mutex
	ups  []client.Update
	done chan struct{}
}

func collect(r *client.Room) *collector {
	c := &collector{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for u := range r.Updates() {
			c.mu.Lock()
			c.ups = append(c.ups, u)
			c.mu.Unlock()
		}
	}()
	// The goroutine ends when the room does, at the latest when dial's
	// cleanup closes the client.
	return c
}

func (c *collector) updates() []client.Update {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]client.Update(nil), c.ups...)
}

// entries are the events received, in order.
func (c *collector) entries() []client.Entry {
	var out []client.Entry
	for _, u := range c.updates() {
		if u.Kind == client.EventUpdate {
			out = append(out, u.Entry)
		}
	}
	return out
}

// waitText waits until an event is a message of text.
func (c *collector) waitText(t *testing.T, text string) {
	t.Helper()
	testenv.WaitFor(t, wait, func() error {
		for _, e := range c.entries() {
			if e.Event.Type == "message" && e.Event.Text == text {
				return nil
			}
		}
		return fmt.Errorf("no message %q among %d events", text, len(c.entries()))
	})
}

// describe writes entries as type:user[:text], one string.
func describe(es []client.Entry) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "%s:%s", e.Event.Type, e.Event.User)
		if e.Event.Text != "" {
			fmt.Fprintf(&b, ":%s", e.Event.Text)
		}
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

// logOf reads room's events with cursor in (after, upto] from the log,
// through GET /api/rooms/{room}/events: the truth to compare with.
func logOf(t *testing.T, s *stack, room string, after, upto int64) []client.Entry {
	t.Helper()
	var out []client.Entry
	for after < upto {
		events, next, err := eventsPage(s, room, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Cursor <= upto {
				out = append(out, e)
			}
		}
		if next <= after {
			t.Fatalf("events after %d: no progress", after)
		}
		after = next
	}
	return out
}

// eventsPage reads one page of room's events after the cursor after
// through GET /api/rooms/{room}/events, and the cursor its next page
// starts after.
func eventsPage(s *stack, room string, after int64) ([]client.Entry, int64, error) {
	resp, err := http.Get(fmt.Sprintf("%s/api/rooms/%s/events?after=%d&limit=1000", s.url, room, after))
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	var page struct {
		Events []client.Entry `json:"events"`
		Next   int64          `json:"next"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, 0, fmt.Errorf("events of %s: %d %w", room, resp.StatusCode, err)
	}
	return page.Events, page.Next, nil
}

// sameAsLog fails unless got is exactly the log's events of room in
// (after, last cursor of got]: every one, once, in order.
// waitInLog waits until the room's log holds, after the cursor after, an
// event of type typ by user: what a server writes by itself (a leave when a
// connection ends) is then ordered before whatever the test writes next.
func waitInLog(t *testing.T, s *stack, room string, after int64, typ, user string) {
	t.Helper()
	testenv.WaitFor(t, wait, func() error {
		events, _, err := eventsPage(s, room, after)
		if err != nil {
			return err
		}
		for _, e := range events {
			if e.Event.Type == typ && e.Event.User == user {
				return nil
			}
		}
		return fmt.Errorf("no %s of %s in %s after %d yet: %s", typ, user, room, after, describe(events))
	})
}

func sameAsLog(t *testing.T, s *stack, room string, after int64, got []client.Entry) {
	t.Helper()
	if len(got) == 0 {
		t.Fatal("no events received")
	}
	want := logOf(t, s, room, after, got[len(got)-1].Cursor)
	if len(got) != len(want) {
		t.Fatalf("received %d events, the log has %d:\n got %s\nwant %s", len(got), len(want), describe(got), describe(want))
	}
	for i := range got {
		if got[i].Cursor != want[i].Cursor || got[i].Event.ID != want[i].Event.ID {
			t.Fatalf("event %d: received cursor %d id %s, the log has %d %s", i, got[i].Cursor, got[i].Event.ID, want[i].Cursor, want[i].Event.ID)
		}
	}
}

// noClientGoroutines fails if a goroutine of this package's code is left.
func noClientGoroutines(t *testing.T) {
	t.Helper()
	testenv.WaitFor(t, 10*time.Second, func() error {
		var b strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
		for _, g := range strings.Split(b.String(), "\n\n") {
			if strings.Contains(g, "chatstate/client.") && !strings.Contains(g, "client_test.") {
				return fmt.Errorf("goroutine left:\n%s", g)
			}
		}
		return nil
	})
}
