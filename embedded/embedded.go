package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/dirlock"
	"github.com/twmb/franz-go/pkg/kfake"
)

// ErrAddr is wrapped by the error of an unusable listen address.
var ErrAddr = errors.New("embedded: bad listen address")

// ErrDataDirInUse is wrapped by the error of Start when another broker
// holds the data dir (another process's, or one of this process: the lock
// is per Start): nothing in the dir was read or written.
var ErrDataDirInUse = errors.New("embedded: data directory in use")

// ErrPersist is wrapped by the error of a Close that could not write the
// broker's state to its data dir: what the broker acknowledged since it
// started may be missing at the next start on that dir.
var ErrPersist = errors.New("embedded: state not persisted")

// Config configures the embedded broker.
type Config struct {
	// Addr is the host:port to listen on. Zero value means 127.0.0.1 on a
	// free port.
	Addr string
	// DataDir is where the broker persists its state. Zero value means in
	// memory only: everything is gone when the broker stops. One broker at
	// a time may use a data dir: Start locks it (the file "lock" in it)
	// until Close.
	DataDir string
	// Logger receives the broker's log. kfake's errors and warnings keep
	// their levels; its info messages (one per request, group changes) are
	// logged at slog.LevelDebug and its debug messages below that. Zero
	// value means slog.Default().
	Logger *slog.Logger
}

// Broker is a running embedded broker. Its methods are safe to call from
// any goroutine.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
	ln      *dualListener
	log     *logAdapter
	// lock holds the data dir from Start until Close; nil without one.
	lock *dirlock.Lock

	closeOnce sync.Once
	closeErr  error
}

// Start starts the broker and returns once it accepts connections. With a
// data dir, it first locks the dir, before anything reads or writes it: an
// error wrapping ErrDataDirInUse if another broker holds it.
func Start(cfg Config) (_ *Broker, err error) {
	host, port := "127.0.0.1", 0
	if cfg.Addr != "" {
		h, p, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrAddr, cfg.Addr, err)
		}
		if port, err = strconv.Atoi(p); err != nil || port < 0 || port > 65535 {
			return nil, fmt.Errorf("%w: %q: bad port", ErrAddr, cfg.Addr)
		}
		if h != "" {
			host = h
		}
	}
	log := &logAdapter{log: cfg.Logger}
	if log.log == nil {
		log.log = slog.Default()
	}
	var ln *dualListener
	opts := []kfake.Opt{
		kfake.WithLogger(log),
		kfake.NumBrokers(1),
		kfake.Ports(port),
		// kfake listens on 127.0.0.1 by default; honour the configured host
		// and keep the listener to learn the port that was chosen.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			l, err := net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
			if err != nil {
				return nil, err
			}
			ln = newDualListener(l)
			return ln, nil
		}),
		// A persisted cluster id overrides this one: it only names a new log.
		kfake.ClusterID("chatstate-" + codec.NewID()),
	}
	var lock *dirlock.Lock
	if cfg.DataDir != "" {
		// Two brokers on one dir would each acknowledge writes that the
		// other's state, written at its close, then loses.
		if lock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				lock.Release()
			}
		}()
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded: start broker on %s: %w", net.JoinHostPort(host, strconv.Itoa(port)), err)
	}
	return &Broker{cluster: c, addr: ln.Addr().String(), ln: ln, log: log, lock: lock}, nil
}

// lockDataDir locks dir (see dirlock), creating it, or returns an error
// wrapping ErrDataDirInUse that names dir and, if it can, the process that
// holds it.
func lockDataDir(dir string) (*dirlock.Lock, error) {
	lock, err := dirlock.Acquire(dir)
	var held *dirlock.HeldError
	switch {
	case errors.As(err, &held) && held.PID == os.Getpid():
		return nil, fmt.Errorf("%w: %s is used by another broker of this process", ErrDataDirInUse, dir)
	case errors.As(err, &held):
		return nil, fmt.Errorf("%w: %s is used by another process%s", ErrDataDirInUse, dir, held.Holder())
	case err != nil:
		return nil, fmt.Errorf("embedded: data dir: %w", err)
	}
	return lock, nil
}

// Dial returns a new in-memory connection to the broker, whatever network
// and address it is given: for the clients of the broker's own process
// (kafka.Config.Dial), which then reach it with no socket in between. It
// fails with net.ErrClosed once the broker is closed, or with ctx's error
// if ctx ends before the broker takes the connection.
func (b *Broker) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	return b.ln.dial(ctx)
}

// Addr returns the address the broker listens on, for clients to bootstrap.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker and, with a data dir, writes its state to disk and
// then unlocks the dir; it blocks until all is done. It returns an error
// wrapping ErrPersist if the state could not be written (kfake only logs
// that, so the errors it logs while closing are collected), nil otherwise.
// Later calls do nothing and return the first call's error.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.log.startCollecting()
		b.cluster.Close()
		b.lock.Release()
		if errs := b.log.collected(); len(errs) > 0 {
			b.closeErr = fmt.Errorf("%w: %s", ErrPersist, strings.Join(errs, "; "))
		}
	})
	return b.closeErr
}

// logAdapter adapts kfake's logger to slog and, from startCollecting on,
// keeps the messages kfake logs as errors: those of a Close are the only
// report of a failed write of its state.
type logAdapter struct {
	log *slog.Logger

	mu         sync.Mutex
	collecting bool
	errs       []string
}

// Logf implements kfake.Logger. It may be called from any of kfake's
// goroutines.
func (l *logAdapter) Logf(level kfake.LogLevel, format string, args ...any) {
	var lvl slog.Level
	switch level {
	case kfake.LogLevelError:
		lvl = slog.LevelError
	case kfake.LogLevelWarn:
		lvl = slog.LevelWarn
	case kfake.LogLevelInfo:
		lvl = slog.LevelDebug
	case kfake.LogLevelDebug:
		lvl = slog.LevelDebug - 4
	default:
		return
	}
	collect := false
	if level == kfake.LogLevelError {
		l.mu.Lock()
		collect = l.collecting
		l.mu.Unlock()
	}
	// Formatting costs: kfake logs every request at its info level.
	if !collect && !l.log.Enabled(context.Background(), lvl) {
		return
	}
	msg := fmt.Sprintf(format, args...)
	l.log.Log(context.Background(), lvl, "embedded broker: "+msg)
	if collect {
		l.mu.Lock()
		l.errs = append(l.errs, msg)
		l.mu.Unlock()
	}
}

func (l *logAdapter) startCollecting() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.collecting = true
}

func (l *logAdapter) collected() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errs...)
}
