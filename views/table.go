package views

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/tablestore"
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
)

// ErrNotReady is returned by reads before the view has recovered.
var ErrNotReady = errors.New("views: not ready")

// ErrRunTwice is returned by a call of Table.Run after the first one,
// whether the first is still running or has returned: a goka view cannot
// be run again, so a stopped Table is built anew.
var ErrRunTwice = errors.New("views: Run called more than once")

// Table is a typed view of one group table with rows of type *T.
// Its methods are safe for concurrent use.
type Table[T any] struct {
	view *goka.View
	name string

	// mu keeps reads out while the view shuts down: goka's View.Run clears
	// its partitions on the way out, unsynchronized with readers. Readers
	// hold it shared; Run takes it exclusively to set stopped before it
	// lets goka stop.
	mu      sync.RWMutex
	stopped bool

	// recovered is set once every partition has recovered; downSince is
	// when the view was last seen not running after that (unix ns, 0: up).
	recovered atomic.Bool
	downSince atomic.Int64

	// offsets reads each partition's stored offset; see Offsets.
	offsets storeOffsets

	// ran is set by the first call of Run.
	ran atomic.Bool

	// clients are the Kafka clients goka made for the view: goka's View
	// never closes its consumer or its topic manager, so Run does.
	clients closers
}

// closers are what a view must close when it stops.
type closers struct {
	mu   sync.Mutex
	list []io.Closer
}

func (c *closers) add(x io.Closer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, x)
}

// closeAll closes each, once, and forgets them.
func (c *closers) closeAll() {
	c.mu.Lock()
	list := c.list
	c.list = nil
	c.mu.Unlock()
	for _, x := range list {
		_ = x.Close()
	}
}

// onceTopicManager is a topic manager that may be closed more than once
// (goka closes the one it uses to list partitions itself).
type onceTopicManager struct {
	goka.TopicManager
	once sync.Once
	err  error
}

func (m *onceTopicManager) Close() error {
	m.once.Do(func() { m.err = m.TopicManager.Close() })
	return m.err
}

// reconnectGrace is how long a recovered view may report a partition not
// running before it counts as not ready. goka passes every partition through
// "connecting" for a moment when it moves from recovery to catching up, and
// that must not flap readiness; a broker outage lasts longer.
const reconnectGrace = 2 * time.Second

// Rooms is the view of the rooms table.
type Rooms = Table[codec.RoomState]

// Users is the view of the users table.
type Users = Table[codec.UserState]

// Servers is the view of the servers table.
type Servers = Table[codec.ServerState]

// NewServers returns a view of the servers table, stored under stateDir.
func NewServers(cfg kafka.Config, stateDir string, opts ...Option) (*Servers, error) {
	return newTable[codec.ServerState](cfg, cfg.Names.ServersTable(), codec.ServerCodec{}, stateDir, opts)
}

// NewRooms returns a view of the rooms table, stored under stateDir.
func NewRooms(cfg kafka.Config, stateDir string, opts ...Option) (*Rooms, error) {
	return newTable[codec.RoomState](cfg, cfg.Names.RoomsTable(), codec.RoomCodec{}, stateDir, opts)
}

// NewUsers returns a view of the users table, stored under stateDir.
func NewUsers(cfg kafka.Config, stateDir string, opts ...Option) (*Users, error) {
	return newTable[codec.UserState](cfg, cfg.Names.UsersTable(), codec.UserCodec{}, stateDir, opts)
}

// newTable builds a view. Views read with kafka.Config.SaramaBulk: they are
// off the path of a chat message, and a reader that must not lag (a join)
// brings a row forward from the log itself.
func newTable[T any](cfg kafka.Config, table goka.Table, c goka.Codec, stateDir string, opts []Option) (*Table[T], error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	update := goka.DefaultUpdate
	if o.onChange != nil {
		update = func(ctx goka.UpdateContext, s storage.Storage, key string, value []byte) error {
			if err := goka.DefaultUpdate(ctx, s, key, value); err != nil {
				return err
			}
			o.onChange(key)
			return nil
		}
	}
	t := &Table[T]{name: string(table)}
	gopts := append([]goka.ViewOption{
		goka.WithViewClientID(cfg.ClientID + "-view"),
		goka.WithViewCallback(update),
		goka.WithViewStorageBuilder(t.offsets.builder(tablestore.Builder(filepath.Join(stateDir, "views")))),
		goka.WithViewConsumerSaramaBuilder(func(brokers []string, _ string) (sarama.Consumer, error) {
			if o.consumer != nil {
				return o.consumer, nil
			}
			c, err := sarama.NewConsumer(brokers, cfg.SaramaBulk("view"))
			if err == nil {
				t.clients.add(c)
			}
			return c, err
		}),
		goka.WithViewTopicManagerBuilder(func(brokers []string) (goka.TopicManager, error) {
			tm, err := kafka.TopicManagerBuilder(cfg)(brokers)
			if err != nil {
				return nil, err
			}
			once := &onceTopicManager{TopicManager: tm}
			t.clients.add(once)
			return once, nil
		}),
		goka.WithViewAutoReconnect(),
	}, o.extra...)
	v, err := goka.NewView(cfg.Brokers, table, c, gopts...)
	if err != nil {
		t.clients.closeAll()
		return nil, fmt.Errorf("views: %s: %w", table, err)
	}
	t.view = v
	return t, nil
}

// Run runs the view until ctx is done, and returns goka's error, nil after
// a clean stop. It may be called once: any later call returns ErrRunTwice
// at once. Reads fail with ErrNotReady once ctx is done.
func (t *Table[T]) Run(ctx context.Context) error {
	if !t.ran.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: %s", ErrRunTwice, t.name)
	}
	inner, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	var stopper sync.WaitGroup
	// Marks the view stopped before goka's view is cancelled, so that no
	// read sees a half-closed table; Run waits for it before it returns.
	stopper.Go(func() {
		select {
		case <-ctx.Done():
		case <-done:
		}
		t.mu.Lock()
		t.stopped = true
		t.mu.Unlock()
		cancel()
	})
	err := t.view.Run(inner)
	close(done)
	stopper.Wait()
	t.clients.closeAll()
	return err
}

// Ready reports whether every partition of the view has recovered and is
// serving. (goka's merged view state reports running as soon as the first
// partition is, before the others have said anything, so it is not used.)
func (t *Table[T]) Ready() bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.ready()
}

// ready is Ready with mu held.
func (t *Table[T]) ready() bool {
	if t.stopped {
		return false
	}
	if t.view.Recovered() {
		t.recovered.Store(true)
		t.downSince.Store(0)
		return true
	}
	if !t.recovered.Load() {
		return false
	}
	now := time.Now().UnixNano()
	t.downSince.CompareAndSwap(0, now)
	return now-t.downSince.Load() < int64(reconnectGrace)
}

// State returns the view's state in words, for readiness reports.
func (t *Table[T]) State() string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.state()
}

// state is State with mu held.
func (t *Table[T]) state() string {
	if t.stopped {
		return t.name + " stopped"
	}
	if t.ready() {
		return t.name + " running"
	}
	switch t.view.CurrentState() {
	case goka.ViewStateIdle:
		return t.name + " idle"
	case goka.ViewStateInitializing:
		return t.name + " initializing"
	case goka.ViewStateConnecting:
		return t.name + " connecting"
	case goka.ViewStateCatchUp:
		return t.name + " catching up"
	case goka.ViewStateRunning:
		return t.name + " running"
	}
	return t.name + " in an unknown state"
}

// WaitReady blocks until the view is ready or ctx is done.
func (t *Table[T]) WaitReady(ctx context.Context) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !t.Ready() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("views: %s: %s: %w", t.name, t.State(), ctx.Err())
		}
	}
	return nil
}
