package server

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// runServer runs a server on an embedded broker with its processors, behind
// a real listener whose sockets have small buffers, until the test ends.
func runServer(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	kcfg := testenv.Kafka(t, 2)
	dir := t.TempDir()
	testenv.RunProcessors(t, kcfg, dir)
	cfg.ServerID = "bounds"
	s, err := New(cfg, kcfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	hs := httptest.NewUnstartedServer(s.Handler())
	hs.Listener = smallBuffers{hs.Listener}
	hs.Start()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		hs.Close()
	})
	testenv.WaitFor(t, 30*time.Second, func() error {
		if !s.Ready() {
			return fmt.Errorf("server not ready")
		}
		return nil
	})
	return s, hs.URL
}

// TestMemoryBoundedUnderJoinLeaveLoop: a connection joins and leaves 300
// rooms one after the other. It keeps nothing of the rooms it left (at most
// the one whose own leave is on its way), and once the rooms view has the
// rooms, the server's prune (every pruneEvery) leaves the hub no cursor of
// them either.
func TestMemoryBoundedUnderJoinLeaveLoop(t *testing.T) {
	t.Parallel()
	s, url := runServer(t, Config{JoinRate: 1e6, JoinBurst: 1e6})
	c := testenv.Dial(t, url, "hopper")
	for i := range 300 {
		room := fmt.Sprint("r", i)
		c.Send(map[string]any{"op": "join", "room": room, "history": 0})
		c.Expect("snapshot", nil)
		c.ExpectEvent(room, "join", "hopper")
		c.Send(map[string]any{"op": "leave", "room": room, "ref": i})
		for acked, left := false, false; !acked || !left; {
			switch f := c.Next(); f["op"] {
			case "ack":
				acked = true
			case "event":
				left = true
			}
		}
	}
	// One more request: it forgets the rooms left whose leave came.
	c.Send(map[string]any{"op": "join", "room": "last", "history": 0})
	c.Expect("snapshot", nil)

	s.mu.Lock()
	var conn *conn
	for k := range s.conns {
		conn = k
	}
	s.mu.Unlock()
	conn.mu.Lock()
	leaving, rooms := len(conn.leaving), len(conn.rooms)
	conn.mu.Unlock()
	if leaving > 1 || rooms != 1 {
		t.Fatalf("the connection keeps %d rooms left and %d joined, want at most 1 and exactly 1", leaving, rooms)
	}
	testenv.WaitFor(t, 3*pruneEvery, func() error {
		n := s.hub.Rooms()
		if n != 1 {
			return fmt.Errorf("the hub keeps the cursors of %d rooms, want 1 (the joined one)", n)
		}
		return nil
	})
}

// TestQueueBoundedInBytes: a client asks for a 400 KB snapshot fifty times
// and reads nothing. The server does not hold the 20 MB for it: once more
// than QueueBytes wait, the client is closed with 4008, having been sent
// far fewer than fifty snapshots.
func TestQueueBoundedInBytes(t *testing.T) {
	t.Parallel()
	s, url := runServer(t, Config{QueueBytes: 256 << 10, SendRate: 1e6, SendBurst: 1e6, JoinRate: 1e6, JoinBurst: 1e6})
	writer := testenv.Dial(t, url, "writer")
	writer.Send(map[string]any{"op": "join", "room": "big", "history": 0})
	writer.Expect("snapshot", nil)
	writer.ExpectEvent("big", "join", "writer")
	text := strings.Repeat("x", 4000)
	for i := range 100 {
		writer.Send(map[string]any{"op": "send", "room": "big", "text": text, "ref": i})
		writer.AckAndEcho(i)
	}

	// Small socket buffers at both ends: what the kernel holds for a
	// client that reads nothing must not hide the server's queue (loopback
	// autotuning grows a receive buffer to tens of MB on some machines).
	dialer := websocket.Dialer{NetDialContext: (&net.Dialer{Control: smallReceiveBuffer}).DialContext}
	ws, _, err := dialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/ws?user=greedy", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	for range 50 {
		if err := ws.WriteJSON(map[string]any{"op": "join", "room": "big", "history": 100}); err != nil {
			break // closed already
		}
	}
	// Nothing is read until the server has closed the client: a client
	// that reads as the snapshots come would keep the queue short on a
	// slow machine.
	testenv.WaitFor(t, 60*time.Second, func() error {
		if n := testutil.ToFloat64(s.metrics.SlowClients); n != 1 {
			return fmt.Errorf("%v slow clients closed, want 1", n)
		}
		return nil
	})
	snapshots := 0
	for {
		_ = ws.SetReadDeadline(time.Now().Add(time.Minute)) // against a hang only
		_, data, err := ws.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, protocol.CloseSlowClient) {
				t.Fatalf("read after %d snapshots: %v, want close %d", snapshots, err, protocol.CloseSlowClient)
			}
			break
		}
		if strings.HasPrefix(string(data), `{"op":"snapshot"`) {
			snapshots++
		}
	}
	if snapshots >= 50 {
		t.Fatalf("%d snapshots were sent before the close, want fewer than 50", snapshots)
	}
	t.Logf("%d of 50 snapshots sent before the close", snapshots)
}

// smallBuffers is a listener whose connections have a 64 KiB send buffer.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(64 << 10)
	}
	return c, err
}

// smallReceiveBuffer sets a 64 KiB receive buffer before connecting, when
// it still fixes the window the kernel offers.
func smallReceiveBuffer(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
	})
	if err != nil {
		return err
	}
	return serr
}
