// Package embedded runs the embedded Kafka-protocol broker (kfake) that
// `chatstate dev`, `chatstate broker` and the tests use.
//
// # Persistence
//
// With a data dir, the broker keeps every topic, offset and group on disk
// and reloads them at start, so that state survives restarts. A fresh data
// dir gets a fresh random cluster id, which the broker persists: the epoch of
// the log changes when, and only when, the log is new.
package embedded

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/chatstate/chatstate/codec"
	"github.com/twmb/franz-go/pkg/kfake"
)

// ErrAddr is wrapped by the error of an unusable listen address.
var ErrAddr = errors.New("embedded: bad listen address")

// Config configures the embedded broker.
type Config struct {
	// Addr is the host:port to listen on. Zero value means 127.0.0.1 on a
	// free port.
	Addr string
	// DataDir is where the broker persists its state. Zero value means in
	// memory only: everything is gone when the broker stops.
	DataDir string
}

// Broker is a running embedded broker. Close it exactly once; Close is safe
// to call from any goroutine.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
}

// Start starts the broker and returns once it accepts connections.
func Start(cfg Config) (*Broker, error) {
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
	var ln net.Listener
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		// kfake listens on 127.0.0.1 by default; honour the configured host
		// and keep the listener to learn the port that was chosen.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			l, err := net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
			ln = l
			return l, err
		}),
		// A persisted cluster id overrides this one: it only names a new log.
		kfake.ClusterID("chatstate-" + codec.NewID()),
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded: start broker on %s: %w", net.JoinHostPort(host, strconv.Itoa(port)), err)
	}
	return &Broker{cluster: c, addr: ln.Addr().String()}, nil
}

// Addr returns the address the broker listens on, for clients to bootstrap.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker and, with a data dir, flushes its state to disk.
func (b *Broker) Close() { b.cluster.Close() }
