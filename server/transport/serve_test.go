package transport

import (
	"errors"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/gorilla/websocket"
)

// readModes are the two ways a connection's frames are read: by a poller's
// reader per frame, and by a read loop of its own.
var readModes = []string{"poller", "read loop"}

// withPoller gives cfg a running poller, ended at the test's end (the
// connections' own cleanups, registered later, run first).
func withPoller(t *testing.T, cfg *Config) *Poller {
	t.Helper()
	p := NewPoller()
	if p == nil {
		t.Skip("no poller on this system")
	}
	ran := make(chan error, 1)
	go func() { ran <- p.Run() }()
	t.Cleanup(func() {
		p.Close()
		select {
		case err := <-ran:
			if err != nil {
				t.Errorf("poller: %v", err)
			}
		case <-time.After(time.Minute):
			t.Error("the poller did not end after its connections")
		}
	})
	waitPollerRunning(t, p)
	cfg.Poller = p
	return p
}

// served returns a connection upgraded as /ws does and served in mode,
// the client's end, and a channel closed once reading has ended.
func served(t *testing.T, mode string, cfg *Config, reqs func(*Conn) Requests) (*Conn, *websocket.Conn, <-chan struct{}) {
	t.Helper()
	if mode == "poller" {
		// As the server runs: a poller for the reads, a flusher for the
		// writes.
		withPoller(t, cfg)
		withFlusher(t, cfg)
	}
	c, ws := socketConn(t, cfg)
	ended := make(chan struct{})
	go c.Serve(reqs(c), func() { close(ended) })
	// Before socketConn's cleanup closes the socket: a socket closed while
	// the poller watches it would leave the poller waiting for it.
	t.Cleanup(func() {
		c.endRead()
		<-ended
	})
	if mode == "poller" {
		waitPolled(t, c)
	}
	return c, ws, ended
}

// waitPollerRunning waits until p's Run waits for sockets.
func waitPollerRunning(t *testing.T, p *Poller) {
	t.Helper()
	testenv.WaitFor(t, time.Minute, func() error {
		if !p.isRunning() {
			return errors.New("the poller has not started")
		}
		return nil
	})
}

// waitPolled waits until the poller watches c, which Serve, on a goroutine
// of its own, registers.
func waitPolled(t *testing.T, c *Conn) {
	t.Helper()
	testenv.WaitFor(t, time.Minute, func() error {
		if !c.isPolled() {
			return errors.New("the poller does not watch the connection")
		}
		return nil
	})
}

// waitEnded waits, for a minute at most, until reading has ended.
func waitEnded(t *testing.T, ended <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ended:
	case <-time.After(time.Minute):
		t.Fatalf("reading did not end %s", what)
	}
}

// readClose reads until the server's close frame and returns it.
func readClose(t *testing.T, ws *websocket.Conn) *websocket.CloseError {
	t.Helper()
	for {
		_ = ws.SetReadDeadline(time.Now().Add(time.Minute)) // against a hang only
		_, _, err := ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce
		}
		if err != nil {
			t.Fatalf("before the close: %v", err)
		}
	}
}
