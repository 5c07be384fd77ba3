package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server"
)

// stack is a broker, the three processors and one server behind a real HTTP
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
	return testenv.RunProcessors(t, kcfg, dir, testenv.WithRestarts(slog.Default()), testenv.WithGokaLogger(testLogger{T: t}))
}

// testLogger sends goka's chatter to the test log, shown on failure only.
type testLogger = testenv.GokaLogger

func startServer(t *testing.T, kcfg kafka.Config, dir string, cfg server.Config) (*server.Server, *httptest.Server, func()) {
	t.Helper()
	return startServerSized(t, kcfg, dir, cfg, 0)
}

// smallSendBuffers gives every accepted connection a small kernel send
// buffer, so that a client that stops reading fills the server's queue soon.
type smallSendBuffers struct {
	net.Listener
	size int
}

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(l.size)
	}
	return c, err
}

// startServerSized is startServer with the kernel send buffer of each
// connection set to sendBuffer bytes (0: the system's default).
func startServerSized(t *testing.T, kcfg kafka.Config, dir string, cfg server.Config, sendBuffer int) (*server.Server, *httptest.Server, func()) {
	t.Helper()
	srv, err := server.New(cfg, kcfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	hs := httptest.NewUnstartedServer(srv.Handler())
	if sendBuffer > 0 {
		hs.Listener = smallSendBuffers{hs.Listener, sendBuffer}
	}
	hs.Start()
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

func (s *stack) dial(user string) *client { return testenv.Dial(s.t, s.http.URL, user) }

type (
	client = testenv.Client
	frame  = testenv.Frame
)

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
