package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server"
	"github.com/urfave/cli/v2"
)

func serverCommand() *cli.Command {
	return &cli.Command{
		Name:  "server",
		Usage: "run the WebSocket and HTTP server",
		Flags: append(serverFlags(), stateDirFlag("./chatstate-state"), kafkaWaitFlag()),
		Action: func(c *cli.Context) error {
			scfg, err := serverConfig(c)
			if err != nil {
				return err
			}
			if err := notEmpty(c, "state-dir"); err != nil {
				return err
			}
			kcfg, err := kafkaConfig(c, "")
			if err != nil {
				return err
			}
			w, err := newWaiter(c, kcfg)
			if err != nil {
				return err
			}
			return runServer(c.Context, kcfg, scfg, c.String("state-dir"), "--state-dir", c.String("http"), w)
		},
	}
}

// runServer serves until ctx is done, then says goodbye to every client
// before the listener closes. dirFlag is the flag that sets stateDir. The
// listener is up first: while w waits for Kafka (a nil w tries once) to
// check the topics and build the server, it answers as server.Starting
// does, /readyz with the reason.
func runServer(ctx context.Context, kcfg kafka.Config, scfg server.Config, stateDir, dirFlag, addr string, w *waiter) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	starting := server.NewStarting("connecting to Kafka at " + strings.Join(kcfg.Brokers, ","))
	hs := &http.Server{
		Handler:           starting,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	var srv *server.Server
	err = w.do(ctx, "server", func() (err error) {
		if err = ensureTopics(ctx, kcfg); err == nil {
			srv, err = server.New(scfg, kcfg, stateDir)
		}
		return err
	}, starting.SetReason)
	var runErr error
	switch {
	case errors.Is(err, errStopped):
		logger.Info("stopped before Kafka was reachable")
	case errors.Is(err, server.ErrStateInUse):
		runErr = fmt.Errorf("%w: give each server of a host its own --server-id (or %s)", err, dirFlag)
	case err != nil:
		runErr = err
	default:
		starting.Serve(srv.Handler())
		logger.Info("chatstate is up: open "+browseURL(ln.Addr())+" in a browser", "server", scfg.ServerID, "epoch", srv.Epoch())
		runErr = srv.Run(ctx)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = hs.Shutdown(shutCtx)
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return runErr
}

// browseURL is the address to point a browser at.
func browseURL(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
