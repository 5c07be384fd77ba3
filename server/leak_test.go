package server_test

import (
	"bytes"
	"fmt"
	"regexp"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server"
)

// TestNoGoroutineOutlivesTheServer: once every connection is closed (some by
// their clients, the rest by the server's shutdown) and Run has returned,
// no goroutine of the server's packages or of gorilla/websocket is left,
// and the process has no more Kafka clients open than before the server
// started. Not parallel: the goroutines are the process's.
func TestNoGoroutineOutlivesTheServer(t *testing.T) {
	kcfg := testenv.Kafka(t, 2)
	dir := t.TempDir()
	runProcessors(t, kcfg, dir)
	// A first server, started and stopped, makes sure that the processors
	// are up with all their clients before the count.
	chatAndStop(t, kcfg, dir, "warm")
	base := kafkaClients()
	chatAndStop(t, kcfg, dir, "s1")
	testenv.WaitFor(t, 30*time.Second, func() error {
		var b bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
		stacks := b.String()
		for _, g := range strings.Split(stacks, "\n\n") {
			// A test of the package waiting for its turn to run in
			// parallel is not the server's.
			if ours.MatchString(g) && !strings.Contains(g, "testing.(*T).Parallel(") {
				return fmt.Errorf("a goroutine of the server is left after it stopped:\n%s", g)
			}
		}
		if n := kafkaClients(); n > base {
			return fmt.Errorf("%d Kafka clients open after the server stopped, %d before it started", n, base)
		}
		return nil
	})
}

// ours matches a stack in the server's packages (not this test's) or in
// gorilla/websocket.
var ours = regexp.MustCompile(`chatstate/chatstate/server(/[a-z]+)?\.|gorilla/websocket\.`)

// chatAndStop runs a server with ten members, each in a room of its own
// where it sends a message, closes half of the connections, stops the
// server with the rest open, and then closes them too.
func chatAndStop(t *testing.T, kcfg kafka.Config, dir, id string) {
	t.Helper()
	_, hs, stop := startServer(t, kcfg, dir, server.Config{ServerID: id})
	var clients []*client
	for i := range 10 {
		c := testenv.Dial(t, hs.URL, fmt.Sprint("u", i))
		room := fmt.Sprint("leaky", i)
		c.Send(frame{"op": "join", "room": room})
		c.Expect("snapshot", nil)
		c.ExpectEvent(room, "join", c.User)
		c.Send(frame{"op": "send", "room": room, "text": "hi", "ref": i})
		c.AckAndEcho(i)
		clients = append(clients, c)
	}
	for _, c := range clients[:5] {
		_ = c.WS.Close()
	}
	stop()
	for _, c := range clients[5:] {
		_ = c.WS.Close()
	}
}

// kafkaClients counts the sarama clients open in the process: each runs
// one metadata updater. (The processors' own goroutines come and go with
// their partitions, so the process's total is no measure of the server.)
func kafkaClients() int {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	return strings.Count(b.String(), "sarama.(*client).backgroundMetadataUpdater(")
}
