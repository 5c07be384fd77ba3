package server_test

import (
	"fmt"
	"net/http"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestBrokerOutage stops the broker under a connected client: a send is
// answered unavailable in bounded time with no ack, the socket stays open,
// /readyz says 503, and everything resumes by itself once the broker is back.
func TestBrokerOutage(t *testing.T) {
	t.Parallel()
	broker, kcfg := testenv.RestartableKafka(t, 2)
	dir := t.TempDir()
	runProcessors(t, kcfg, dir)
	const writeTimeout = 2 * time.Second
	_, hs, _ := startServer(t, kcfg, dir, server.Config{ServerID: "s1", WriteTimeout: writeTimeout})
	alice := testenv.Dial(t, hs.URL, "alice")
	alice.Send(frame{"op": "join", "room": "r"})
	alice.Expect("snapshot", frame{})
	alice.ExpectEvent("r", "join", "alice")
	alice.Send(frame{"op": "send", "room": "r", "text": "before", "ref": "b"})
	alice.AckAndEcho("b")

	broker.Stop()
	start := time.Now()
	alice.Send(frame{"op": "send", "room": "r", "text": "during", "ref": "d"})
	alice.Expect("error", frame{"code": "unavailable", "ref": "d"})
	// The write's bound, with generous slack for a shared machine.
	if took := time.Since(start); took > 5*writeTimeout {
		t.Fatalf("send answered unavailable after %v, want within the write timeout of %v", took, writeTimeout)
	}
	testenv.WaitFor(t, 30*time.Second, func() error {
		if st := status(hs.URL + "/readyz"); st != 503 {
			return fmt.Errorf("readyz %d during the outage", st)
		}
		return nil
	})
	alice.Send(frame{"op": "ping", "ref": "p"})
	alice.Expect("pong", frame{"ref": "p"})

	broker.Start()
	testenv.WaitFor(t, 60*time.Second, func() error {
		if st := status(hs.URL + "/readyz"); st != 200 {
			return fmt.Errorf("readyz %d after the outage", st)
		}
		return nil
	})
	alice.Send(frame{"op": "send", "room": "r", "text": "after", "ref": "a"})
	// The ack and the live event of "after". "during" was answered
	// unavailable when its write timed out; as the README says, Kafka may
	// still take it once it is back (it was in flight when the broker
	// went), and then its event comes first, in the producer's order. It
	// is never acked.
	want := []string{"message:alice:before", "message:alice:after"}
	var acked, echoed bool
	for !acked || !echoed {
		f := alice.Next()
		ev, _ := f["event"].(map[string]any)
		switch {
		case f["op"] == "ack" && f["ref"] == "a":
			acked = true
		case f["op"] == "event" && ev["text"] == "after":
			echoed = true
		case f["op"] == "event" && ev["text"] == "during" && !echoed && len(want) == 2:
			want = []string{"message:alice:before", "message:alice:during", "message:alice:after"}
		default:
			t.Fatalf("after the outage: %v", f)
		}
	}
	testenv.WaitFor(t, 60*time.Second, func() error {
		var room map[string]any
		if getJSON(t, hs.URL+"/api/rooms/r", &room) != 200 || room["messages"] != float64(len(want)) {
			return fmt.Errorf("room %v, want %d messages", room, len(want))
		}
		return nil
	})
	bob := testenv.Dial(t, hs.URL, "bob")
	bob.Send(frame{"op": "join", "room": "r", "history": 10})
	snap := bob.Expect("snapshot", frame{"messages": len(want)})
	if _, texts := cursors(t, snap); fmt.Sprint(texts) != fmt.Sprint(want) {
		t.Fatalf("history %v, want %v", texts, want)
	}
}

// TestGoodbyeDuringAnOutageIsBounded stops the server while Kafka is away,
// with a member whose send is still waiting for Kafka. Run returns within
// the goodbye's bound, not after the Kafka client's retries: the send's
// write timeout (the connection's cleanup waits for its request), then one
// write timeout for the owed leaves (the retire is not written); the
// client is told unavailable and closed with 1001.
func TestGoodbyeDuringAnOutageIsBounded(t *testing.T) {
	t.Parallel()
	broker, kcfg := testenv.RestartableKafka(t, 2)
	dir := t.TempDir()
	runProcessors(t, kcfg, dir)
	const writeTimeout = 2 * time.Second
	_, hs, stop := startServer(t, kcfg, dir, server.Config{ServerID: "s1", WriteTimeout: writeTimeout})
	alice := testenv.Dial(t, hs.URL, "alice")
	alice.Send(frame{"op": "join", "room": "r"})
	alice.Expect("snapshot", frame{})
	alice.ExpectEvent("r", "join", "alice")

	broker.Stop()
	testenv.WaitFor(t, 30*time.Second, func() error {
		if st := status(hs.URL + "/readyz"); st != 503 {
			return fmt.Errorf("readyz %d during the outage", st)
		}
		return nil
	})
	// The ping's pong says the server has read the send, whose request
	// then runs (requests run concurrently, so its answer may come first,
	// or after the stop).
	alice.Send(frame{"op": "send", "room": "r", "text": "during", "ref": "d"})
	alice.Send(frame{"op": "ping", "ref": "p"})
	answered := false
	for f := alice.Next(); f["op"] != "pong"; f = alice.Next() {
		if f["op"] != "error" || f["code"] != "unavailable" || f["ref"] != "d" {
			t.Fatalf("alice got %v, want the pong and maybe unavailable", f)
		}
		answered = true
	}
	start := time.Now()
	stopped := make(chan struct{})
	go func() { defer close(stopped); stop() }()
	// Two write timeouts, with generous slack for a shared machine.
	select {
	case <-stopped:
	case <-time.After(5 * writeTimeout):
		// What the server waits for, for whoever reads the failure.
		var stacks strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&stacks, 1)
		t.Log(stacks.String())
		<-stopped
		t.Fatalf("the server stopped %v after it was told to, want within two write timeouts of %v", time.Since(start), writeTimeout)
	}
	if !answered {
		alice.Expect("error", frame{"code": "unavailable", "ref": "d"})
	}
	_ = alice.WS.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, data, err := alice.ReadRaw(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("after the stop alice read %q, %v; want close 1001", data, err)
	}
	// The processors stop on a broker that answers.
	broker.Start()
}
