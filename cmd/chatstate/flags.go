package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server"
	"github.com/urfave/cli/v2"
)

func globalFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "brokers", Value: "127.0.0.1:9092", EnvVars: env("brokers"), Usage: "Kafka bootstrap addresses, comma-separated"},
		&cli.StringFlag{Name: "topic-prefix", Value: kafka.DefaultPrefix, EnvVars: env("topic-prefix"), Usage: "prefix of every topic and group"},
		&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: env("log-level"), Usage: "debug, info, warn, error"},
		&cli.StringFlag{Name: "log-format", Value: "text", EnvVars: env("log-format"), Usage: "text or json"},
		&cli.StringFlag{Name: "debug-addr", EnvVars: env("debug-addr"), Usage: "serve pprof on this address (off when empty)"},
		&cli.IntFlag{Name: "partitions", Value: kafka.DefaultPartitions, EnvVars: env("partitions"), Usage: "partitions of every topic (bounds processor parallelism)"},
		&cli.IntFlag{Name: "replication", Value: 0, EnvVars: env("replication"), Usage: "replication factor of new topics (0: min(3, brokers))"},
		&cli.DurationFlag{Name: "retention", Value: kafka.DefaultRetention, EnvVars: env("retention"), Usage: "retention of the events topic"},
	}, kafkaConnFlags()...)
}

// kafkaConfig builds the Kafka configuration from the global flags, with
// brokers overriding the flag when not empty.
func kafkaConfig(c *cli.Context, brokers string) (kafka.Config, error) {
	if brokers == "" {
		brokers = c.String("brokers")
	}
	var list []string
	for _, b := range strings.Split(brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			list = append(list, b)
		}
	}
	return kafka.Config{
		Brokers:     list,
		Names:       kafka.NewNames(c.String("topic-prefix")),
		Partitions:  c.Int("partitions"),
		Replication: c.Int("replication"),
		Retention:   c.Duration("retention"),
		ClientID:    c.String("client-id"),
		Security:    kafkaSecurity(c),
	}.WithDefaults()
}

func stateDirFlag(def string) cli.Flag {
	return &cli.StringFlag{Name: "state-dir", Value: def, EnvVars: env("state-dir"), Usage: "where local copies of the tables are kept"}
}

func serverFlags() []cli.Flag {
	host, _ := os.Hostname()
	return []cli.Flag{
		&cli.StringFlag{Name: "http", Value: ":8080", EnvVars: env("http"), Usage: "HTTP listen address"},
		&cli.StringFlag{Name: "server-id", Value: host, EnvVars: env("server-id"), Usage: "this server's id in the events it writes (unique per server)"},
		&cli.StringFlag{Name: "api-key", EnvVars: env("api-key"), Usage: "enables POST /api/rooms/{room}/messages with 'Authorization: Bearer KEY'"},
		&cli.StringFlag{Name: "auth-secret", EnvVars: env("auth-secret"), Usage: "HS256 secret: clients must connect with ?token=JWT"},
		&cli.StringSliceFlag{Name: "allowed-origins", EnvVars: env("allowed-origins"), Usage: "origins allowed to open a WebSocket (default: the server's own host)"},
		&cli.IntFlag{Name: "max-rooms", Value: 100, EnvVars: env("max-rooms"), Usage: "rooms one connection may join"},
		&cli.IntFlag{Name: "max-conns-per-user", Value: 20, EnvVars: env("max-conns-per-user"), Usage: "open connections of one user"},
		&cli.IntFlag{Name: "max-conns-per-addr", Value: 200, EnvVars: env("max-conns-per-addr"), Usage: "open connections from one remote address"},
		&cli.Float64Flag{Name: "send-rate", Value: 10, EnvVars: env("send-rate"), Usage: "messages per second per connection"},
		&cli.IntFlag{Name: "send-burst", Value: 20, EnvVars: env("send-burst"), Usage: "burst of messages per connection"},
		&cli.Float64Flag{Name: "join-rate", Value: 10, EnvVars: env("join-rate"), Usage: "joins and leaves per second per connection"},
		&cli.IntFlag{Name: "join-burst", Value: 100, EnvVars: env("join-burst"), Usage: "burst of joins and leaves per connection"},
		&cli.IntFlag{Name: "queue-size", Value: 1024, EnvVars: env("queue-size"), Usage: "frames queued for a slow client before it is dropped (4008)"},
		&cli.IntFlag{Name: "queue-bytes", Value: 1 << 20, EnvVars: env("queue-bytes"), Usage: "bytes queued for a slow client, answers included, before it is dropped (4008)"},
		&cli.DurationFlag{Name: "ping-interval", Value: 25 * time.Second, EnvVars: env("ping-interval"), Usage: "how often each connection is pinged"},
		&cli.DurationFlag{Name: "presence-delay", Value: 100 * time.Millisecond, EnvVars: env("presence-delay"), Usage: "how long another session's join, leave or expiry may wait to go out with more to the same client (0 to 1s)"},
		&cli.DurationFlag{Name: "session-ttl", Value: 30 * time.Second, EnvVars: env("session-ttl"), Usage: "how long the sessions of a server that died without a goodbye stay"},
	}
}

// serverFlagOf names the flag of each field of server.Config set from one.
var serverFlagOf = map[string]string{
	"ServerID": "server-id", "AllowedOrigins": "allowed-origins", "MaxRooms": "max-rooms",
	"MaxConnsPerUser": "max-conns-per-user", "MaxConnsPerAddr": "max-conns-per-addr", "SendRate": "send-rate",
	"SendBurst": "send-burst", "QueueSize": "queue-size", "PingInterval": "ping-interval", "SessionTTL": "session-ttl",
	"JoinRate": "join-rate", "JoinBurst": "join-burst", "QueueBytes": "queue-bytes", "PresenceDelay": "presence-delay",
}

// serverConfig is the server's configuration from its flags, checked
// (server.Config.Validate) with the reasons in terms of the flags. Zero,
// which server.Config takes for the default, is refused too: the flags
// show their defaults.
func serverConfig(c *cli.Context) (server.Config, error) {
	if err := listenAddr(c, "http"); err != nil {
		return server.Config{}, err
	}
	if err := positive(c, "max-rooms", "max-conns-per-user", "max-conns-per-addr", "send-rate", "send-burst",
		"join-rate", "join-burst", "queue-size", "queue-bytes", "ping-interval", "session-ttl"); err != nil {
		return server.Config{}, err
	}
	cfg := server.Config{
		AuthSecret:      c.String("auth-secret"),
		ServerID:        sanitizeID(c.String("server-id")),
		APIKey:          c.String("api-key"),
		AllowedOrigins:  c.StringSlice("allowed-origins"),
		MaxRooms:        c.Int("max-rooms"),
		MaxConnsPerUser: c.Int("max-conns-per-user"),
		MaxConnsPerAddr: c.Int("max-conns-per-addr"),
		SendRate:        c.Float64("send-rate"),
		SendBurst:       c.Int("send-burst"),
		QueueSize:       c.Int("queue-size"),
		JoinRate:        c.Float64("join-rate"),
		JoinBurst:       c.Int("join-burst"),
		QueueBytes:      c.Int("queue-bytes"),
		PingInterval:    c.Duration("ping-interval"),
		SessionTTL:      c.Duration("session-ttl"),
		PresenceDelay:   c.Duration("presence-delay"),
		Logger:          logger,
		GokaLogger:      gokaLogger(),
	}
	var ce *server.ConfigError
	if err := cfg.Validate(); errors.As(err, &ce) && serverFlagOf[ce.Field] != "" {
		return server.Config{}, fmt.Errorf("--%s must be %s, got %s", serverFlagOf[ce.Field], ce.Want, ce.Got)
	} else if err != nil {
		return server.Config{}, err
	}
	return cfg, nil
}

// sanitizeID keeps an id usable in file names and event fields.
func sanitizeID(id string) string {
	id = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '-'
	}, id)
	if id == "" {
		id = "server"
	}
	return id[:min(len(id), server.MaxServerID)]
}
