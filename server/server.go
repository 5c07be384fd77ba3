package server

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/dirlock"
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
	// invites are the invites to check before local's sessions are told
	// (see invites.go).
	invites *inviteChecks
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
	lock *dirlock.Lock
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
		lock.Release()
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
	s.invites = newInviteChecks()
	s.hub.SetNotify(s.invited)
	s.hub.SetLocals(s.local)
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

// readerMaxWait is the longest a fetch of the request reader waits at the
// broker.
const readerMaxWait = 5 * time.Millisecond
