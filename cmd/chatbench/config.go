package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// config is one run of the load generator, as the flags give it.
type config struct {
	URL       string
	Label     string
	Clients   int
	Rooms     int
	Rate      float64 // messages per second, all rooms together; 0: idle
	Publish   string  // "ws" or "http"
	APIKey    string
	Duration  time.Duration
	Warmup    time.Duration
	Drain     time.Duration
	Settle    time.Duration // longest wait for the server to go quiet after connecting
	Payload   int
	ServerPID int
	JSONOnly  bool
	Run       string // names this run's users, rooms and payload marker
	During    string // shell command run while publishing (a profiler)

	DialConcurrency int
	JoinRetries     int
	Workers         int // concurrent publishers

	// The reconnect storm (storm.go); StormRooms 0 is the ordinary run.
	StormRooms       int // rooms each client joins
	StormConcurrency int // reconnects in flight at once
	StormHistory     int // messages per room before the cut
	StormAway        int // messages per room while the clients are away
}

func flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "url", Value: "http://127.0.0.1:8080", Usage: "base URL of the chatstate server"},
		&cli.StringFlag{Name: "label", Usage: "workload name, copied into the report"},
		&cli.IntFlag{Name: "clients", Value: 1000, Usage: "WebSocket clients, each in one room"},
		&cli.IntFlag{Name: "rooms", Value: 100, Usage: "rooms the clients are spread over (client i is in room i mod rooms)"},
		&cli.Float64Flag{Name: "rate", Value: 1000, Usage: "messages per second published, all rooms together (0: idle connections only)"},
		&cli.StringFlag{Name: "publish", Value: "http", Usage: "how messages are published: ws (send from members) or http (POST /api/rooms/{room}/messages)"},
		&cli.StringFlag{Name: "api-key", EnvVars: []string{"CHATSTATE_API_KEY"}, Usage: "API key of the server, for --publish http"},
		&cli.DurationFlag{Name: "duration", Value: 30 * time.Second, Usage: "measured publishing time (idle: how long connections are held)"},
		&cli.DurationFlag{Name: "warmup", Value: 5 * time.Second, Usage: "publishing before the measurement; counted for loss, not for latency"},
		&cli.DurationFlag{Name: "drain", Value: 10 * time.Second, Usage: "longest wait for outstanding deliveries after publishing"},
		&cli.DurationFlag{Name: "settle", Value: 30 * time.Second, Usage: "after connecting, wait until the server (--server-pid) uses under 0.2 cores, at most this long"},
		&cli.IntFlag{Name: "payload", Value: 200, Usage: "message text size in bytes (64 to 4096)"},
		&cli.IntFlag{Name: "server-pid", Usage: "pid of the server on this machine, to sample its CPU time and RSS from /proc"},
		&cli.BoolFlag{Name: "json-only", Usage: "print only the one-line JSON report"},
		&cli.StringFlag{Name: "run", Usage: "run id in user and room names (default: random)"},
		&cli.StringFlag{Name: "during", Usage: "shell command started when publishing starts and interrupted (SIGINT) when it ends, e.g. a profiler"},
		&cli.IntFlag{Name: "dial-concurrency", Value: 64, Usage: "WebSocket dials in flight at once"},
		&cli.IntFlag{Name: "join-retries", Value: 5, Usage: "tries again of a join answered unavailable (the server's view lags behind)"},
		&cli.IntFlag{Name: "workers", Value: 64, Usage: "publishes in flight at once"},
		&cli.IntFlag{Name: "storm-rooms", Usage: "reconnect storm: each client joins this many of the --rooms, then every connection is cut at once and every client reconnects and resumes them from its cursors (0: the ordinary run; --rate, --duration and --warmup do not apply)"},
		&cli.IntFlag{Name: "storm-concurrency", Value: 1000, Usage: "reconnect storm: reconnects in flight at once (clients that reconnect without backoff; the bound keeps the dials within the server's listen backlog)"},
		&cli.IntFlag{Name: "storm-history", Value: 2, Usage: "reconnect storm: messages published to each room (over HTTP) before the cut"},
		&cli.IntFlag{Name: "storm-away", Value: 1, Usage: "reconnect storm: messages published to each room while the clients are away, which their resumes must return"},
	}
}

// configFrom reads and checks the flags.
func configFrom(c *cli.Context) (config, error) {
	cfg := config{
		URL:             strings.TrimRight(c.String("url"), "/"),
		Label:           c.String("label"),
		Clients:         c.Int("clients"),
		Rooms:           c.Int("rooms"),
		Rate:            c.Float64("rate"),
		Publish:         c.String("publish"),
		APIKey:          c.String("api-key"),
		Duration:        c.Duration("duration"),
		Warmup:          c.Duration("warmup"),
		Drain:           c.Duration("drain"),
		Settle:          c.Duration("settle"),
		Payload:         c.Int("payload"),
		ServerPID:       c.Int("server-pid"),
		JSONOnly:        c.Bool("json-only"),
		Run:             c.String("run"),
		During:          c.String("during"),
		DialConcurrency: c.Int("dial-concurrency"),
		JoinRetries:     c.Int("join-retries"),
		Workers:         c.Int("workers"),

		StormRooms:       c.Int("storm-rooms"),
		StormConcurrency: c.Int("storm-concurrency"),
		StormHistory:     c.Int("storm-history"),
		StormAway:        c.Int("storm-away"),
	}
	if cfg.Run == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		cfg.Run = hex.EncodeToString(b[:])
	}
	return cfg, cfg.validate()
}

func (cfg config) validate() error {
	u, err := url.Parse(cfg.URL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("--url %q: want http://host:port", cfg.URL)
	case cfg.Clients < 1 || cfg.Rooms < 1 || cfg.Rooms > cfg.Clients:
		return fmt.Errorf("--clients %d, --rooms %d: want 1 ≤ rooms ≤ clients", cfg.Clients, cfg.Rooms)
	case cfg.Rate < 0:
		return fmt.Errorf("--rate must not be negative")
	case cfg.Publish != "ws" && cfg.Publish != "http":
		return fmt.Errorf("--publish %q: want ws or http", cfg.Publish)
	case cfg.Publish == "http" && cfg.Rate > 0 && cfg.APIKey == "":
		return fmt.Errorf("--publish http needs --api-key (the server's --api-key)")
	case cfg.Duration <= 0 || cfg.Warmup < 0 || cfg.Drain < 0:
		return fmt.Errorf("--duration must be positive, --warmup and --drain not negative")
	case cfg.Payload < minPayload || cfg.Payload > 4096:
		return fmt.Errorf("--payload %d: want %d to 4096 bytes", cfg.Payload, minPayload)
	case cfg.DialConcurrency < 1 || cfg.Workers < 1:
		return fmt.Errorf("--dial-concurrency and --workers must be positive")
	case cfg.StormRooms < 0 || cfg.StormRooms > cfg.Rooms:
		return fmt.Errorf("--storm-rooms %d: want 0 to --rooms (%d)", cfg.StormRooms, cfg.Rooms)
	case cfg.StormRooms > 0 && (cfg.StormConcurrency < 1 || cfg.StormHistory < 0 || cfg.StormAway < 0):
		return fmt.Errorf("--storm-concurrency must be positive, --storm-history and --storm-away not negative")
	case cfg.StormRooms > 0 && cfg.APIKey == "":
		return fmt.Errorf("--storm-rooms publishes over HTTP and needs --api-key (the server's --api-key)")
	case cfg.Run == "" || len(cfg.Run) > 16:
		return fmt.Errorf("--run %q: 1 to 16 letters and digits", cfg.Run)
	}
	for _, r := range cfg.Run {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("--run %q: letters and digits only", cfg.Run)
		}
	}
	return nil
}

// total is how many messages the run publishes: warmup and measurement.
func (cfg config) total() int {
	return int(cfg.Rate * (cfg.Warmup + cfg.Duration).Seconds())
}

// warmupCount is how many of them belong to the warmup.
func (cfg config) warmupCount() int { return int(cfg.Rate * cfg.Warmup.Seconds()) }

// wsURL is the WebSocket endpoint for user.
func (cfg config) wsURL(user string) string {
	return "ws" + strings.TrimPrefix(cfg.URL, "http") + "/ws?user=" + user
}

func userName(run string, i int) string { return fmt.Sprintf("bench-%s-%d", run, i) }
func roomName(run string, j int) string { return fmt.Sprintf("bench-%s-r%d", run, j) }
