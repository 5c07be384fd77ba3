// Command barehub is a bare chat hub: a reference point for scripts/bench,
// not a product. It speaks as much of chatstate's WebSocket and HTTP
// protocol as cmd/chatbench uses (hello; join with a snapshot of members
// and history, or with after to resume; send with its ack; leave; ping;
// POST /api/rooms/{room}/messages with the API key; /healthz and /readyz),
// and keeps everything in memory: no Kafka, no persistence, no presence
// beyond the connections it holds, no limits but a bounded queue per
// connection. With --relay-dir, the HTTP publishes alone take chatstate's
// path through Kafka (relay.go): written to an embedded broker, answered
// when it acknowledges them, fanned out from a tail that reads them back;
// the answer's cursor is then the record's offset, the events' cursors
// the hub's own. Joins and leaves are events of the room, as in chatstate
// (--presence=false leaves them out). Each room numbers its events with a cursor of its own and
// keeps its last --ring events, so that a resume returns the events after
// the client's cursor.
//
// It is written the way a competent engineer writes a small hub with
// gorilla/websocket (a read and a write goroutine per connection, a
// buffered send channel per connection, one mutex over the rooms) and not
// tuned beyond that, so that chatstate's figures can be read as ratios to
// it, measured on the same machine in the same run.
//
//	barehub --http 127.0.0.1:8090 --api-key KEY
//
// It stops on SIGINT or SIGTERM, closing every connection with 1001.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("http", "127.0.0.1:8090", "address to listen on")
	apiKey := flag.String("api-key", os.Getenv("CHATSTATE_API_KEY"), "key of POST /api/rooms/{room}/messages (Authorization: Bearer KEY); empty refuses every post")
	ring := flag.Int("ring", 256, "events each room keeps for resume")
	queue := flag.Int("queue", 256, "frames queued per connection before it is closed as too slow (4008)")
	presence := flag.Bool("presence", true, "joins and leaves are events of the room, fanned out to its members and returned by resumes, as in chatstate; false: only the members list of the snapshot tells them")
	relayDir := flag.String("relay-dir", "", "if set, HTTP publishes go through an embedded broker keeping its log in this directory: written as chatstate's server writes, acknowledged when the broker is, and fanned out from a tail that reads them back")
	flag.Parse()
	if err := run(*addr, *apiKey, *ring, *queue, *presence, *relayDir); err != nil {
		fmt.Fprintln(os.Stderr, "barehub:", err)
		os.Exit(1)
	}
}

// run serves until SIGINT or SIGTERM, then closes every connection and
// waits for their goroutines.
func run(addr, apiKey string, ring, queue int, presence bool, relayDir string) error {
	if ring < 1 || queue < 1 {
		return errors.New("--ring and --queue must be positive")
	}
	if err := raiseFileLimit(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	h := newHub(ring, queue, apiKey, presence)
	if relayDir != "" {
		r, err := startRelay(relayDir, h)
		if err != nil {
			return err
		}
		defer r.close()
		h.relay = r
	}
	srv := &http.Server{Handler: h.routes(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	slog.Info("barehub listening", "addr", l.Addr().String())
	select {
	case err = <-served:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(sctx) // hijacked WebSocket connections are the hub's to close
		cancel()
		<-served
	}
	h.shutdown()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// raiseFileLimit raises the soft limit of open files to the hard limit:
// every connection holds a descriptor.
func raiseFileLimit() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("read the open-files limit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("raise the open-files limit: %w", err)
		}
	}
	return nil
}
