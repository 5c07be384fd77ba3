package e2e

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// Timeouts of the harness. Every wait in a scenario is bounded by one of them.
const (
	startTimeout = 60 * time.Second // the stack, the browser, a tab
	stepTimeout  = 20 * time.Second // one action or one condition in a page
	tabTimeout   = 3 * time.Minute  // everything a tab does
)

// ------------------------------------------------------------------ logs

// logBuffer keeps the last logs of the stack, shown when a test fails. It is
// written from goroutines that may outlive a test, so it never calls t.Log.
type logBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const logKeep = 256 << 10

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > 2*logKeep {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-logKeep:]...)
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf
	if len(s) > logKeep {
		s = s[len(s)-logKeep:]
	}
	return string(s)
}

// ------------------------------------------------------------------ stack

// stack is the embedded broker, the processors and one server behind a
// loopback HTTP listener.
type stack struct {
	url  string // http://127.0.0.1:PORT
	logs *logBuffer
}

// startStack starts a stack that stops when t ends.
func startStack(t *testing.T) *stack {
	t.Helper()
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	gokaLogger := log.New(logs, "goka ", log.LstdFlags)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs of the stack (last %d KiB):\n%s", logKeep>>10, logs.String())
		}
	})

	kcfg := testenv.Kafka(t, 4)
	dir := t.TempDir()
	testenv.RunProcessors(t, kcfg, dir, testenv.WithGokaLogger(gokaLogger))

	srv, err := server.New(server.Config{ServerID: "e2e", Logger: logger, GokaLogger: gokaLogger}, kcfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		hs.Close()
	})
	testenv.WaitFor(t, startTimeout, func() error {
		if !srv.Ready() {
			return errors.New("server not ready")
		}
		return nil
	})
	return &stack{url: hs.URL, logs: logs}
}

// ------------------------------------------------------------------ browser
