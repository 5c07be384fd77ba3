package testenv

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
	"github.com/lovoo/goka"
)

// ProcessorsOption configures RunProcessors.
type ProcessorsOption func(*procOptions)

type procOptions struct {
	groups  []string
	restart bool
	log     *slog.Logger
	goka    goka.Logger
}

// builders are the processors RunProcessors knows, by group name.
var builders = map[string]func(kafka.Config, string, ...goka.ProcessorOption) (*goka.Processor, error){
	"rooms":   processors.NewRooms,
	"users":   processors.NewUsers,
	"servers": processors.NewServers,
}

// WithGroups runs only the named groups, of "rooms", "users" and
// "servers". Zero value (no WithGroups) means all three.
func WithGroups(names ...string) ProcessorsOption {
	return func(o *procOptions) { o.groups = names }
}

// WithRestarts runs each processor under processors.Supervise, which builds
// and starts it again when it fails (a broker outage, a lost rebalance),
// logging each restart to log (nil: slog.Default()). Without it, a processor
// that fails stays stopped and fails the test at stop.
func WithRestarts(log *slog.Logger) ProcessorsOption {
	return func(o *procOptions) {
		o.restart = true
		o.log = log
	}
}

// WithGokaLogger sends goka's log of every processor to l, such as a
// GokaLogger of the test. Zero value means goka's default logger.
func WithGokaLogger(l goka.Logger) ProcessorsOption {
	return func(o *procOptions) { o.goka = l }
}

// RunProcessors runs the processors of the rooms, users and servers groups
// (or those of WithGroups) in this process, with their tables under dir,
// until stop is called or the test ends. Every processor is built before
// any starts; a build error fails the test at once. A processor that
// returns an error fails the test at stop. stop is idempotent, must be
// called from the test's goroutine, and returns once every processor has
// returned.
func RunProcessors(t testing.TB, cfg kafka.Config, dir string, opts ...ProcessorsOption) (stop func()) {
	t.Helper()
	o := procOptions{groups: []string{"rooms", "users", "servers"}}
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	var gopts []goka.ProcessorOption
	if o.goka != nil {
		gopts = append(gopts, goka.WithLogger(o.goka))
	}
	runs := make([]func(context.Context) error, 0, len(o.groups))
	for _, name := range o.groups {
		mk, ok := builders[name]
		if !ok {
			t.Fatalf("RunProcessors: unknown group %q", name)
		}
		build := func() (*goka.Processor, error) { return mk(cfg, dir, gopts...) }
		if o.restart {
			// Supervise returns the first build's error, and nil once ctx
			// is done.
			runs = append(runs, func(ctx context.Context) error {
				return processors.Supervise(ctx, name, o.log, build)
			})
			continue
		}
		p, err := build()
		if err != nil {
			t.Fatalf("build %s processor: %v", name, err)
		}
		runs = append(runs, p.Run)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, len(runs))
	for _, run := range runs {
		go func() { done <- run(ctx) }()
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			for range runs {
				if err := <-done; err != nil {
					t.Errorf("processor: %v", err)
				}
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// GokaLogger is a goka.Logger that writes to the log of test T, which shows
// it only when the test fails or runs with -v. Like testing.TB's Log, it
// must not be used once the test has ended: stop what logs to it in a
// Cleanup of the test (RunProcessors does).
type GokaLogger struct{ T testing.TB }

// Print logs v as T.Log does.
func (l GokaLogger) Print(v ...any) { l.T.Helper(); l.T.Log(v...) }

// Println logs v as T.Log does.
func (l GokaLogger) Println(v ...any) { l.T.Helper(); l.T.Log(v...) }

// Printf logs as T.Logf does.
func (l GokaLogger) Printf(format string, v ...any) { l.T.Helper(); l.T.Logf(format, v...) }
