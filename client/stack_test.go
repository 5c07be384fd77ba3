package client_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"time"

	"github.com/chatstate/chatstate/embedded"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/server"
	"github.com/lovoo/goka"
)

// The stack of the tests and examples is started without a testing.T, so
// that examples, which have none, start it the same way.

// quietGoka drops goka's chatter.
type quietGoka struct{}

func (quietGoka) Print(...any)          {}
func (quietGoka) Println(...any)        {}
func (quietGoka) Printf(string, ...any) {}

var quiet = slog.New(slog.DiscardHandler)

// backend is the processors and one server on a Kafka.
type backend struct {
	srv      *server.Server
	stopSrv  context.CancelFunc
	srvDone  chan error
	stopProc context.CancelFunc
	procDone chan error
	procs    int
}

// startBackend starts the processors (restarted when they fail, as in a
// broker outage) and a server with their tables under dir, and returns once
// the server is ready.
func startBackend(kcfg kafka.Config, dir string, cfg server.Config) (*backend, error) {
	if cfg.ServerID == "" {
		cfg.ServerID = "s1"
	}
	cfg.Logger, cfg.GokaLogger = quiet, quietGoka{}
	b := &backend{procDone: make(chan error, 3), srvDone: make(chan error, 1)}
	pctx, stopProc := context.WithCancel(context.Background())
	b.stopProc = stopProc
	for name, mk := range map[string]func(kafka.Config, string, ...goka.ProcessorOption) (*goka.Processor, error){
		"rooms": processors.NewRooms, "users": processors.NewUsers, "servers": processors.NewServers,
	} {
		b.procs++
		go func() {
			b.procDone <- processors.Supervise(pctx, name, quiet, func() (*goka.Processor, error) {
				return mk(kcfg, dir, goka.WithLogger(quietGoka{}))
			})
		}()
	}
	srv, err := server.New(cfg, kcfg, dir)
	if err != nil {
		b.stopProcs()
		return nil, err
	}
	b.srv = srv
	sctx, stopSrv := context.WithCancel(context.Background())
	b.stopSrv = stopSrv
	go func() { b.srvDone <- srv.Run(sctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for !srv.Ready() {
		if time.Now().After(deadline) {
			_ = b.stop()
			return nil, errors.New("server not ready within 60s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return b, nil
}

func (b *backend) stopProcs() error {
	b.stopProc()
	var errs []error
	for range b.procs {
		errs = append(errs, <-b.procDone)
	}
	b.procs = 0
	return errors.Join(errs...)
}

// stopServer stops the server: it writes its sessions' leaves and closes
// its connections with 1001.
func (b *backend) stopServer() error {
	if b.stopSrv == nil {
		return nil
	}
	b.stopSrv()
	b.stopSrv = nil
	return <-b.srvDone
}

func (b *backend) stop() error {
	return errors.Join(b.stopServer(), b.stopProcs())
}

// front is the stable address clients dial: it hands each request to the
// server of the moment, and answers 503 while there is none or while it
// refuses, so that a test can keep a client out for a while.
type front struct {
	hs     *httptest.Server
	h      atomic.Pointer[http.Handler]
	refuse atomic.Pointer[string] // a user kept out
}

func newFront() *front {
	f := &front{}
	f.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := f.h.Load()
		if u := f.refuse.Load(); h == nil || (u != nil && r.URL.Query().Get("user") == *u) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":{"code":"unavailable","message":"not now"}}`)
			return
		}
		(*h).ServeHTTP(w, r)
	}))
	return f
}

func (f *front) serve(b *backend) {
	if b == nil {
		f.h.Store(nil)
		return
	}
	h := b.srv.Handler()
	f.h.Store(&h)
}

// exampleServer starts an embedded broker, the processors and a server for
// an example, and returns the server's URL and how to stop it all.
func exampleServer() (url string, stop func()) {
	br, err := embedded.Start(embedded.Config{Logger: quiet})
	if err != nil {
		panic(err)
	}
	kcfg, err := kafka.Config{Brokers: []string{br.Addr()}, Names: kafka.NewNames("chat"), Partitions: 4}.WithDefaults()
	if err != nil {
		panic(err)
	}
	if err := kafka.EnsureTopics(kcfg); err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "chatstate-example-")
	if err != nil {
		panic(err)
	}
	b, err := startBackend(kcfg, dir, server.Config{})
	if err != nil {
		panic(err)
	}
	f := newFront()
	f.serve(b)
	return f.hs.URL, func() {
		f.hs.Close()
		if err := b.stop(); err != nil {
			panic(err)
		}
		_ = br.Close()
		_ = os.RemoveAll(dir)
	}
}

// keepOut makes the front refuse user's connections (nil: nobody's).
func (f *front) keepOut(user string) { f.refuse.Store(&user) }
func (f *front) letIn()              { f.refuse.Store(nil) }
