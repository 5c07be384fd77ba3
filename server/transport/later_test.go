package transport

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/gorilla/websocket"
)

// TestEnqueueLaterWaitsForTheDelay: a frame queued with EnqueueLater to a
// connection with nothing else queued goes out once the flusher's delay has
// passed, not before, and within a generous bound after it; with the
// frames queued later meanwhile, in order, and with no write loop started.
// (A frame queued while a writer is at work goes out with its writes.)
func TestEnqueueLaterWaitsForTheDelay(t *testing.T) {
	const delay = 300 * time.Millisecond
	cfg := testConfig()
	starts := countStarts(cfg)
	withDelayingFlusher(t, cfg, delay)
	c, ws := socketConn(t, cfg)
	for round := range 3 {
		// A frame queued while a writer is at work goes with it: the
		// last round's writer lets go after its client has read.
		testenv.WaitFor(t, time.Minute, func() error {
			c.qmu.Lock()
			defer c.qmu.Unlock()
			if c.writing {
				return errors.New("the last round's writer still holds the connection")
			}
			return nil
		})
		start := time.Now()
		want := []string{fmt.Sprintf("round %d: a", round), fmt.Sprintf("round %d: b", round)}
		for _, f := range want {
			if !c.EnqueueLater([]byte(f)) {
				t.Fatalf("%q not queued", f)
			}
		}
		got := readFrames(t, ws, len(want))
		took := time.Since(start)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("got %q, want %q", got, want)
		}
		// Timers never fire early: what was held took the whole delay.
		if took < delay || took > delay+10*time.Second {
			t.Fatalf("round %d: the held frames came after %v; want the delay %v, and not 10 s more", round, took, delay)
		}
	}
	if n := starts.Load(); n != 0 {
		t.Fatalf("%d write loops started; want none", n)
	}
}

// TestEnqueueTakesHeldFramesAlong: a frame queued with Enqueue goes out at
// once, and the frames held before it go with it, in order: a message
// never waits behind a join, nor overtakes it.
func TestEnqueueTakesHeldFramesAlong(t *testing.T) {
	cfg := testConfig()
	withDelayingFlusher(t, cfg, time.Hour)
	c, ws := socketConn(t, cfg)
	for round := range 3 {
		start := time.Now()
		want := []string{fmt.Sprintf("%d: join", round), fmt.Sprintf("%d: leave", round), fmt.Sprintf("%d: message", round)}
		c.EnqueueLater([]byte(want[0]))
		c.EnqueueLater([]byte(want[1]))
		c.Enqueue([]byte(want[2]))
		if got := readFrames(t, ws, 3); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("got %q, want %q", got, want)
		}
		if took := time.Since(start); took > 30*time.Second {
			t.Fatalf("round %d: the frames came after %v, as if the hour's delay held them", round, took)
		}
	}
}

// TestHeldFramesGoOutWhenTheFlusherCloses: frames held when the flusher
// closes are not stranded: write loops write them, long before the delay.
func TestHeldFramesGoOutWhenTheFlusherCloses(t *testing.T) {
	cfg := testConfig()
	f := withDelayingFlusher(t, cfg, time.Hour)
	type pair struct {
		c  *Conn
		ws *websocket.Conn
	}
	var pairs []pair
	for i := range 5 {
		c, ws := socketConn(t, cfg)
		if !c.EnqueueLater(fmt.Appendf(nil, "held %d", i)) {
			t.Fatalf("conn %d: not queued", i)
		}
		pairs = append(pairs, pair{c, ws})
	}
	start := time.Now()
	f.Close()
	for i, p := range pairs {
		if got := readFrames(t, p.ws, 1); got[0] != fmt.Sprintf("held %d", i) {
			t.Fatalf("conn %d: got %q", i, got)
		}
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("the held frames came %v after Close", took)
	}
	// Once closed, the flusher holds nothing more: a frame queued later
	// goes out at once.
	pairs[0].c.EnqueueLater([]byte("after close"))
	if got := readFrames(t, pairs[0].ws, 1); got[0] != "after close" {
		t.Fatalf("got %q", got)
	}
}

// TestEnqueueLaterWithoutADelayIsEnqueue: without a delay (or without a
// flusher) nothing is held.
func TestEnqueueLaterWithoutADelayIsEnqueue(t *testing.T) {
	for _, mode := range writeModes {
		t.Run(mode, func(t *testing.T) {
			cfg := writing(t, mode)
			c, ws := socketConn(t, cfg)
			start := time.Now()
			c.EnqueueLater([]byte("at once"))
			if got := readFrames(t, ws, 1); got[0] != "at once" {
				t.Fatalf("got %q", got)
			}
			c.qmu.Lock()
			held := c.held
			c.qmu.Unlock()
			if held {
				t.Fatalf("held, after %v", time.Since(start))
			}
		})
	}
}

// TestEnqueueLaterKeepsTheQueueBound: held frames count in the queue's
// bound; the frame over it closes the client with 4008, as Enqueue's.
func TestEnqueueLaterKeepsTheQueueBound(t *testing.T) {
	cfg := testConfig()
	cfg.QueueSize = 4
	withDelayingFlusher(t, cfg, time.Hour)
	c, ws := socketConn(t, cfg)
	for i := range 4 {
		if !c.EnqueueLater(fmt.Appendf(nil, "%d", i)) {
			t.Fatalf("frame %d refused under the bound", i)
		}
	}
	if c.EnqueueLater([]byte("over")) {
		t.Fatal("a fifth frame queued over a queue of 4")
	}
	_ = ws.SetReadDeadline(time.Now().Add(time.Minute))
	for {
		_, _, err := ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != protocol.CloseSlowClient {
				t.Fatalf("closed with %d, want %d", ce.Code, protocol.CloseSlowClient)
			}
			return
		}
		if err != nil {
			t.Fatalf("want the close 4008, got %v", err)
		}
	}
}
