package transport

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/gorilla/websocket"
)

// writeModes are the two ways a connection's queue is written: by the
// flusher's workers, handing a full socket to a write loop, and by a write
// loop started per burst.
var writeModes = []string{"flusher", "write loops"}

// withFlusher gives cfg a running flusher, ended at the test's end, after
// the connections' own cleanups.
func withFlusher(t *testing.T, cfg *Config) *Flusher {
	t.Helper()
	return withDelayingFlusher(t, cfg, 0)
}

// withDelayingFlusher is withFlusher with a delay for EnqueueLater.
func withDelayingFlusher(t *testing.T, cfg *Config, delay time.Duration) *Flusher {
	t.Helper()
	// One worker: a worker that waited on a socket would hold up every
	// other connection, which the tests would see.
	f := NewFlusher(1, delay)
	ran := make(chan struct{})
	go func() { defer close(ran); f.Run() }()
	t.Cleanup(func() {
		f.Close()
		select {
		case <-ran:
		case <-time.After(time.Minute):
			t.Error("the flusher did not end after Close")
		}
	})
	testenv.WaitFor(t, time.Minute, func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.running {
			return errors.New("the flusher has not started")
		}
		return nil
	})
	cfg.Flusher = f
	return f
}

// countStarts makes cfg count the goroutines its connections start.
func countStarts(cfg *Config) *atomic.Int64 {
	var n atomic.Int64
	cfg.Go = func(fn func()) bool { n.Add(1); go fn(); return true }
	return &n
}

// readFrames reads n text frames from ws, with a minute against a hang.
func readFrames(t *testing.T, ws *websocket.Conn, n int) []string {
	t.Helper()
	got := make([]string, 0, n)
	for len(got) < n {
		_ = ws.SetReadDeadline(time.Now().Add(time.Minute))
		mt, p, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("after %d frames: %v", len(got), err)
		}
		if mt != websocket.TextMessage {
			t.Fatalf("frame %d: type %d", len(got), mt)
		}
		got = append(got, string(p))
	}
	return got
}

// TestFlusherWritesWithoutWriteLoops: frames queued in bursts reach the
// client in order, and no write loop is started for them while the socket
// takes each batch whole.
func TestFlusherWritesWithoutWriteLoops(t *testing.T) {
	cfg := testConfig()
	starts := countStarts(cfg)
	withFlusher(t, cfg)
	c, ws := socketConn(t, cfg)
	for burst := range 50 {
		var want []string
		for i := range burst%5 + 1 {
			want = append(want, fmt.Sprintf("burst %d frame %d", burst, i))
			if !c.Enqueue([]byte(want[i])) {
				t.Fatalf("burst %d: not queued", burst)
			}
		}
		if got := readFrames(t, ws, len(want)); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("burst %d: got %q, want %q", burst, got, want)
		}
	}
	if n := starts.Load(); n != 0 {
		t.Fatalf("%d write loops started; want none", n)
	}
}

// shrinkBuffers makes the socket between c and ws hold little, so that a
// few megabytes fill it. Not less: a receive window under loopback's
// segment size (64 KiB) stalls TCP itself.
func shrinkBuffers(t *testing.T, c *Conn, ws *websocket.Conn) {
	t.Helper()
	if err := c.out.Conn.(*net.TCPConn).SetWriteBuffer(16 << 10); err != nil {
		t.Fatal(err)
	}
	if err := ws.NetConn().(*net.TCPConn).SetReadBuffer(256 << 10); err != nil {
		t.Fatal(err)
	}
}

// TestFlusherHandsAFullSocketToAWriteLoop: a client that does not read
// fills its socket; its batch goes on in a write loop of its own, so that
// the flusher goes on writing to the others, and once it reads, every frame
// comes, in order.
func TestFlusherHandsAFullSocketToAWriteLoop(t *testing.T) {
	cfg := testConfig()
	cfg.QueueBytes = 64 << 20
	starts := countStarts(cfg)
	withFlusher(t, cfg)
	slow, slowWS := socketConn(t, cfg)
	shrinkBuffers(t, slow, slowWS)
	other, otherWS := socketConn(t, cfg)

	payload := strings.Repeat("x", 16<<10)
	const frames = 256 // 4 MiB: far more than the socket holds
	for i := range frames {
		if !slow.Enqueue(fmt.Appendf(nil, "%04d%s", i, payload)) {
			t.Fatalf("frame %d not queued", i)
		}
	}
	testenv.WaitFor(t, time.Minute, func() error {
		if starts.Load() == 0 {
			return errors.New("no write loop started for the full socket")
		}
		return nil
	})
	for i := range 20 {
		want := fmt.Sprintf("other %d", i)
		other.Enqueue([]byte(want))
		if got := readFrames(t, otherWS, 1)[0]; got != want {
			t.Fatalf("other client: got %q, want %q", got, want)
		}
	}
	for i, got := range readFrames(t, slowWS, frames) {
		if want := fmt.Sprintf("%04d%s", i, payload); got != want {
			t.Fatalf("slow client: frame %d is %q…", i, got[:4])
		}
	}
}

// TestFlusherFullSocketTimesOut: a batch the socket does not take within
// the write timeout (one to one and a half of it) ends the connection's
// writes, as a write loop's does.
func TestFlusherFullSocketTimesOut(t *testing.T) {
	cfg := testConfig()
	cfg.QueueBytes = 64 << 20
	cfg.WriteTimeout = 200 * time.Millisecond
	withFlusher(t, cfg)
	c, ws := socketConn(t, cfg)
	shrinkBuffers(t, c, ws)
	start := time.Now()
	payload := strings.Repeat("x", 16<<10)
	for range 256 {
		c.Enqueue([]byte(payload))
	}
	select {
	case <-c.WriterDone():
	case <-time.After(time.Minute):
		t.Fatal("the writes did not end while the client did not read")
	}
	if took := time.Since(start); took < cfg.WriteTimeout {
		t.Fatalf("the writes ended after %v, before the write timeout", took)
	}
	if !c.IsClosing() {
		t.Fatal("the connection is not closing after its write failed")
	}
}

// TestFlusherClosedFallsBackToWriteLoops: once the flusher has stopped,
// what is queued goes out through write loops, the close frame included.
func TestFlusherClosedFallsBackToWriteLoops(t *testing.T) {
	cfg := testConfig()
	starts := countStarts(cfg)
	f := withFlusher(t, cfg)
	c, ws := socketConn(t, cfg)
	c.Enqueue([]byte("before"))
	if got := readFrames(t, ws, 1)[0]; got != "before" {
		t.Fatalf("got %q", got)
	}
	f.Close()
	c.Enqueue([]byte("after"))
	if got := readFrames(t, ws, 1)[0]; got != "after" {
		t.Fatalf("got %q", got)
	}
	if starts.Load() == 0 {
		t.Fatal("no write loop wrote after the flusher closed")
	}
	c.Close(protocol.CloseSlowClient, "bye")
	if ce := readClose(t, ws); ce.Code != protocol.CloseSlowClient || ce.Text != "bye" {
		t.Fatalf("closed with %v", ce)
	}
}
