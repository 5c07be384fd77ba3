package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/routines"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/logread"
	"github.com/chatstate/chatstate/server/fanout"
	"github.com/chatstate/chatstate/server/ops"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/chatstate/chatstate/server/transport"
	"github.com/chatstate/chatstate/views"
	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"
)

// ErrRunTwice is returned by a second call of Run.
var ErrRunTwice = errors.New("server: Run called twice")

// Server serves WebSocket clients and the HTTP API from the views and the
// tail. Build it with New, serve Handler, and Run it once.
type Server struct {
	cfg    Config
	kcfg   kafka.Config
	client sarama.Client
	// readClient serves reader, the reads of the log made for requests.
	readClient sarama.Client
	// typingClient reads the typing topic: a client of its own, since a
	// long poll of that quiet topic on the tail's connections would hold
	// up the tail's fetches.
	typingClient sarama.Client
	// viewConsumer is what the three views read through (views.WithConsumer).
	viewConsumer sarama.Consumer
	prod         *producer
	reader       *logread.Reader
	rooms        *views.Rooms
	users        *views.Users
	// servers is the view of the server instances, for presence expiry.
	servers *views.Servers
	// instance names this run of the server in the sessions it holds:
	// server id, "/", a random part.
	instance string
	hub      *fanout.Hub
	tail     *fanout.Tail
	// owed holds the leaves not written yet.
	owed *owed
	// changed knows when this instance last wrote a join or leave of each
	// session, for the re-assertion.
	changed changes
	epoch   string

	ran atomic.Bool
	// routines owns the goroutines of the connections (their read and
	// write loops and requests): Run returns only after all have ended.
	routines routines.Group
	ready    atomic.Bool
	waiting  atomic.Value // string: why the server is not ready
	// kafkaDown is the probe's last word: "" while a broker answers.
	kafkaDown atomic.Value
	mu        sync.Mutex
	conns     map[*conn]struct{}
	// local indexes conns by user (see localUsers).
	local *localUsers
	// typingGate throttles the typing notices relayed (see typing.go).
	typingGate typingGate
	shutdown   bool
	mux        *http.ServeMux
	metrics    *ops.Metrics
	// transport is what the connections share.
	transport *transport.Config
	// poller watches idle connections' sockets (transport.Poller); nil
	// where there is none. Run runs it until the connections have ended.
	poller *transport.Poller
	// flusher writes what the connections queue (transport.Flusher).
	flusher *transport.Flusher
	limits  connLimits
	// lock is held on the state directory from New until Run returns.
	lock *stateLock
}

// New checks cfg (Config.Validate), locks its state directory under stateDir
// (an error wrapping ErrStateInUse if another server holds it), connects to
// Kafka, learns the epoch and the tail's start offsets, and prepares the
// views in that directory. Nothing is served or read until Run.
func New(cfg Config, kcfg kafka.Config, stateDir string) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	kcfg, err := kcfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	// Before anything opens the stores in it.
	dir := filepath.Join(stateDir, "server-"+cfg.ServerID)
	lock, err := lockState(dir)
	if err != nil {
		return nil, err
	}
	client, err := sarama.NewClient(kcfg.Brokers, kcfg.Sarama("server-"+cfg.ServerID))
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("server: connect to kafka %v: %w", kcfg.Brokers, err)
	}
	s := &Server{cfg: cfg, kcfg: kcfg, client: client, lock: lock, conns: map[*conn]struct{}{}}
	s.waiting.Store("starting")
	s.kafkaDown.Store("")
	ok := false
	defer func() {
		if !ok {
			s.release()
		}
	}()
	if s.epoch, err = kafka.Epoch(client, kcfg); err != nil {
		return nil, err
	}
	pc, err := kgo.NewClient(kcfg.Producer("server-" + cfg.ServerID)...)
	if err != nil {
		return nil, fmt.Errorf("server: producer: %w", err)
	}
	s.prod = &producer{client: pc}
	// The reader asks only for ranges it knows are written, so it never
	// needs a broker's long poll: with the default wait, a fetch of a
	// record just written could sit out the whole wait (seen on kfake:
	// a join right after a leave took 500 ms).
	rc := kcfg.Sarama("server-" + cfg.ServerID + "-reader")
	rc.Consumer.MaxWaitTime = readerMaxWait
	if s.readClient, err = sarama.NewClient(kcfg.Brokers, rc); err != nil {
		return nil, fmt.Errorf("server: connect to kafka %v: %w", kcfg.Brokers, err)
	}
	s.reader = logread.New(s.readClient, kcfg)
	if s.typingClient, err = sarama.NewClient(kcfg.Brokers, kcfg.Sarama("server-"+cfg.ServerID+"-typing")); err != nil {
		return nil, fmt.Errorf("server: connect to kafka %v: %w", kcfg.Brokers, err)
	}
	s.owed = newOwed()
	// The views are built after the metrics: they are read at scrape time.
	s.metrics = ops.NewMetrics(s.Ready, map[string]func() bool{
		"rooms":   func() bool { return s.rooms != nil && s.rooms.Ready() },
		"users":   func() bool { return s.users != nil && s.users.Ready() },
		"servers": func() bool { return s.servers != nil && s.servers.Ready() },
	})
	s.poller = transport.NewPoller()
	s.flusher = transport.NewFlusher(0, cfg.PresenceDelay)
	s.transport = s.transportConfig()
	s.hub = fanout.NewHub(kcfg.Partitions, cfg.QueueSize, s.metrics.Deliveries)
	s.local = newLocalUsers()
	s.hub.SetNotify(s.invited)
	s.tail = fanout.NewTail(fanout.TailConfig{Kafka: kcfg, Client: client, Topic: string(kcfg.Names.Events), Partitions: kcfg.Partitions,
		Hub: s.hub, Log: cfg.Logger, Invalid: s.metrics.Invalid, Latency: s.metrics.DeliverSeconds, Registerer: s.metrics.Registry,
		Missed: func(c fanout.Subscriber) {
			c.Close(protocol.CloseMissedEvents, "events of a joined room were deleted before the server read them: resume")
		}})
	if err := s.tail.Open(); err != nil {
		return nil, err
	}
	// One consumer for the three views: one fetch per broker where each
	// view made its own.
	if s.viewConsumer, err = sarama.NewConsumer(kcfg.Brokers, kcfg.SaramaBulk("server-"+cfg.ServerID+"-views")); err != nil {
		return nil, fmt.Errorf("server: connect to kafka %v: %w", kcfg.Brokers, err)
	}
	vopts := []views.Option{views.WithConsumer(s.viewConsumer)}
	if cfg.GokaLogger != nil {
		vopts = append(vopts, views.WithGokaOptions(goka.WithViewLogger(cfg.GokaLogger)))
	}
	if s.rooms, err = views.NewRooms(kcfg, dir, vopts...); err != nil {
		return nil, err
	}
	if s.users, err = views.NewUsers(kcfg, dir, vopts...); err != nil {
		return nil, err
	}
	if s.servers, err = views.NewServers(kcfg, dir, vopts...); err != nil {
		return nil, err
	}
	s.metrics.Kafka.Views = map[string]ops.ViewOffsets{
		"rooms":   {Topic: string(kcfg.Names.RoomsTable()), Applied: s.rooms.Offsets},
		"users":   {Topic: string(kcfg.Names.UsersTable()), Applied: s.users.Offsets},
		"servers": {Topic: string(kcfg.Names.ServersTable()), Applied: s.servers.Offsets},
	}
	s.instance = cfg.ServerID + "/" + codec.NewID()[:8]
	s.routes()
	ok = true
	return s, nil
}

// Instance returns the id this run of the server holds its sessions under:
// the server id, "/", a random part. It names the server in the events of
// its sessions.
func (s *Server) Instance() string { return s.instance }

// Epoch returns the epoch of the log this server serves.
func (s *Server) Epoch() string { return s.epoch }

// Handler returns the HTTP handler of /ws, the API and the page.
func (s *Server) Handler() http.Handler { return s.mux }

// Ready reports whether the server serves state: the processors had caught
// up with the log as it was at start, and both views have recovered.
func (s *Server) Ready() bool {
	return s.ready.Load() && s.kafkaDown.Load() == "" && s.rooms.Ready() && s.users.Ready()
}

func (s *Server) notReadyReason() string {
	if down := s.kafkaDown.Load().(string); down != "" {
		return down
	}
	if s.ready.Load() {
		if !s.rooms.Ready() {
			return s.rooms.State()
		}
		return s.users.State()
	}
	return s.waiting.Load().(string)
}

// Run reads the log and keeps the views until ctx is done, then says goodbye
// to every client (their leaves written, then close 1001) and releases
// Kafka and the state directory. It returns once every goroutine it and its
// connections started has ended, with the errors of all its parts joined
// (nil after a clean stop). It may be called once.
func (s *Server) Run(ctx context.Context) error {
	if s.ran.Swap(true) {
		return ErrRunTwice
	}
	defer s.release()
	if s.poller != nil {
		s.routines.Go(func() {
			if err := s.poller.Run(); err != nil {
				s.cfg.Logger.Warn("each connection reads on a goroutine of its own", "reason", err)
			}
		})
	}
	s.routines.Go(s.flusher.Run)
	g, gctx := errgroup.WithContext(ctx)
	// Every part's error is returned, not only the first: errgroup keeps
	// one, and the part that failed first is not always the telling one.
	var errs errorList
	part := func(fn func() error) { g.Go(func() error { return errs.add(fn()) }) }
	part(func() error { return s.tail.Run(gctx) })
	part(func() error {
		ops.ProbeKafka(gctx, s.kcfg.Brokers, s.cfg.Logger, func(down string) { s.kafkaDown.Store(down) })
		return nil
	})
	part(func() error { ops.WatchLag(gctx, s.client, s.kcfg, s.metrics.Kafka); return nil })
	part(func() error { s.pruneLoop(gctx); return nil })
	part(func() error { return s.typingLoop(gctx) })
	owedDone := make(chan struct{})
	part(func() error { defer close(owedDone); s.owedLoop(gctx); return nil })
	g.Go(func() error {
		// The views start once the processors have folded everything the
		// tail did not read: then every event is in a view or in the tail.
		if err := s.waitProcessors(gctx); err != nil {
			return errs.add(err)
		}
		vg, vctx := errgroup.WithContext(gctx)
		vg.Go(func() error { return errs.add(s.rooms.Run(vctx)) })
		vg.Go(func() error { return errs.add(s.users.Run(vctx)) })
		vg.Go(func() error { return errs.add(s.servers.Run(vctx)) })
		vg.Go(func() error {
			if s.rooms.WaitReady(vctx) == nil && s.users.WaitReady(vctx) == nil {
				s.ready.Store(true)
				s.cfg.Logger.Info("server ready", "server", s.cfg.ServerID, "instance", s.instance, "epoch", s.epoch)
				var beats sync.WaitGroup
				beats.Go(func() { s.beatLoop(vctx) })
				beats.Go(func() { s.assertLoop(vctx) })
				s.sweepLoop(vctx)
				beats.Wait()
			}
			return nil
		})
		return vg.Wait()
	})
	<-gctx.Done()
	s.goodbye(owedDone)
	_ = g.Wait()
	// The poller ends once the last connection's reads have ended; the
	// flusher hands what is still to write, the goodbyes' close frames
	// among it, to write loops.
	if s.poller != nil {
		s.poller.Close()
	}
	s.flusher.Close()
	s.routines.Wait()
	return errs.joined()
}

// errorList collects the errors of a server's parts; a part that ended
// because the server stopped is no error.
type errorList struct {
	mu   sync.Mutex
	errs []error
}

// add records err unless it is nil or a cancellation, and returns it for
// errgroup, which cancels the other parts on the first one.
func (l *errorList) add(err error) error {
	if err != nil && !errors.Is(err, context.Canceled) {
		l.mu.Lock()
		l.errs = append(l.errs, err)
		l.mu.Unlock()
	}
	return err
}

// joined is every error recorded, joined; nil if there was none.
func (l *errorList) joined() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return errors.Join(l.errs...)
}

// waitProcessors waits until the rooms group has committed, on every
// partition, the offset the tail started from.
func (s *Server) waitProcessors(ctx context.Context) error {
	for {
		behind := 0
		committed, err := kafka.CommittedOffsets(s.client, string(s.kcfg.Names.RoomsGroup), string(s.kcfg.Names.Events), len(s.tail.Start()))
		if err == nil {
			for p, start := range s.tail.Start() {
				if start > 0 && committed[p] < start {
					behind++
				}
			}
		}
		if err == nil && behind == 0 {
			return nil
		}
		if err != nil {
			s.waiting.Store(fmt.Sprintf("cannot read the progress of the processors: %v", err))
		} else {
			s.waiting.Store(fmt.Sprintf("waiting for the rooms processors to catch up on %d partitions", behind))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// write produces events to the events topic and returns their offsets once
// Kafka acknowledged them all (acks=all). A failure is unavailable and
// acknowledges nothing; a record cut off by ctx may still have been
// written (the producer cannot tell before Kafka answers).
func (s *Server) write(ctx context.Context, events ...codec.Event) ([]int64, error) {
	recs := make([]*kgo.Record, len(events))
	for i := range events {
		b, err := codec.EventCodec{}.Encode(&events[i])
		if err != nil {
			return nil, err
		}
		recs[i] = &kgo.Record{Topic: string(s.kcfg.Names.Events), Key: []byte(events[i].Room), Value: b}
	}
	var err error
	start := time.Now()
	defer func() { s.metrics.ProduceSeconds.Observe(time.Since(start).Seconds()) }()
	if err = s.prod.send(ctx, recs...); err != nil {
		return nil, protocol.Errorf(protocol.CodeUnavailable, "kafka did not take the write: %v", err)
	}
	offs := make([]int64, len(recs))
	for i, r := range recs {
		offs[i] = r.Offset
	}
	return offs, nil
}

// goodbye ends every session: leaves written, then close 1001, then, once
// the owed loop has ended (owedDone), whatever is still owed is written,
// within WriteTimeout; only if all of it was, the instance is retired.
func (s *Server) goodbye(owedDone <-chan struct{}) {
	s.mu.Lock()
	s.shutdown = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.cfg.Logger.Info("closing connections for shutdown", "connections", len(conns))
	var closing routines.Group
	for _, c := range conns {
		closing.Go(func() {
			c.cleanup()
			c.Close(1001, "server shutting down")
			<-c.WriterDone()
		})
	}
	closing.Wait()
	<-owedDone
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	if err := poll(ctx, func() error { return s.writeOwed(ctx) }); err != nil {
		// Not retired: the sessions whose leaves are lost expire as a
		// silent instance's do, or at once when this id starts again.
		s.cfg.Logger.Warn("stopping with leaves not written", "leaves", s.owed.pending(), "err", err)
		return
	}
	// Clean goodbye: the sessions are left; nobody needs to expire them.
	if err := s.heartbeat(ctx, codec.Retire, s.instance, s.cfg.ServerID); err != nil {
		s.cfg.Logger.Warn("could not retire this instance", "err", err)
		return
	}
	// Then wait, boundedly, until the processors have folded the leaves and
	// the retire into the servers table: a process that stops its
	// processors next (dev), or a successor under the same id, then finds
	// the table true rather than sessions to expire.
	if err := s.settle(ctx, false); err != nil {
		s.cfg.Logger.Warn("stopping before the processors folded this instance's leaves", "reason", err)
	}
}

// readerMaxWait is the longest a fetch of the request reader waits at the
// broker.
const readerMaxWait = 5 * time.Millisecond

// release closes the Kafka clients and drops the lock of the state
// directory.
func (s *Server) release() {
	if s.prod != nil {
		_ = s.prod.close()
	}
	if s.readClient != nil {
		_ = s.readClient.Close()
	}
	if s.typingClient != nil {
		_ = s.typingClient.Close()
	}
	if s.viewConsumer != nil { // the views have returned from Run, or never ran
		_ = s.viewConsumer.Close()
	}
	_ = s.client.Close()
	s.lock.release()
}
