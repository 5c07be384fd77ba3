package server_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
	"github.com/chatstate/chatstate/server/fanout"
)

// TestFailedRejoinKeepsTheRoom: a member joins its room again while Kafka
// is away and is answered unavailable; it is still a member afterwards, its
// leave is taken once Kafka is back, and the room is empty after it.
func TestFailedRejoinKeepsTheRoom(t *testing.T) {
	t.Parallel()
	broker, kcfg := testenv.RestartableKafka(t, 2)
	dir := t.TempDir()
	runProcessors(t, kcfg, dir)
	_, hs, _ := startServer(t, kcfg, dir, server.Config{ServerID: "s1", WriteTimeout: 3 * time.Second, ReadTimeout: 3 * time.Second,
		SendRate: 1e6, SendBurst: 1e6})
	alice := testenv.Dial(t, hs.URL, "alice")
	alice.Send(frame{"op": "join", "room": "h"})
	alice.Expect("snapshot", nil)
	alice.ExpectEvent("h", "join", "alice")
	// More events than the server keeps of the room in memory, so that a
	// resume from the start must read the log, which is away: the join
	// fails after its subscription was paused, the path that lost the
	// room once.
	for i := range fanout.RingSize {
		alice.Send(frame{"op": "send", "room": "h", "text": "x", "ref": i})
		alice.AckAndEcho(i)
	}

	broker.Stop()
	alice.Send(frame{"op": "join", "room": "h", "ref": "again", "after": -1})
	alice.Expect("error", frame{"code": "unavailable", "ref": "again"})
	broker.Start()
	testenv.WaitFor(t, 60*time.Second, func() error {
		if st := status(hs.URL + "/readyz"); st != 200 {
			return fmt.Errorf("readyz %d after the outage", st)
		}
		return nil
	})
	alice.Send(frame{"op": "leave", "room": "h", "ref": "bye"})
	var acked, left bool
	for !acked || !left {
		f := alice.Next()
		switch {
		case f["op"] == "ack" && f["ref"] == "bye":
			acked = true
		case f["op"] == "event" && f["event"].(map[string]any)["type"] == "leave":
			left = true
		default:
			t.Fatalf("alice got %v, want the ack of her leave and the leave", f)
		}
	}
	testenv.WaitFor(t, 30*time.Second, func() error {
		if m := members(t, hs.URL, "h"); m != "[]" {
			return fmt.Errorf("members %s, want none", m)
		}
		return nil
	})
}

// TestNothingAfterOwnLeave: three senders flood a room while a fourth
// client joins, leaves and pings it 1,000 times. After its own leave event
// it is given nothing of the room: the next frames are the ack of its leave
// (if it came later) and the pong.
func TestNothingAfterOwnLeave(t *testing.T) {
	t.Parallel()
	cycles := 1000
	if testing.Short() {
		cycles = 50
	}
	start := time.Now()
	defer func() { t.Logf("%d cycles in %v", cycles, time.Since(start)) }()
	s := newStack(t, server.Config{SendRate: 1e6, SendBurst: 1e6, JoinRate: 1e6, JoinBurst: 1e6, QueueSize: 1 << 16, QueueBytes: 64 << 20})
	stop := make(chan struct{})
	var senders sync.WaitGroup
	for i := range 3 {
		c := s.dial(fmt.Sprint("flood", i))
		c.Send(frame{"op": "join", "room": "busy", "history": 0})
		c.Expect("snapshot", nil)
		// A reader discards what the sender is sent, so that it is never
		// closed as slow; the sender sends a message every 5 ms.
		senders.Go(func() {
			for {
				if _, _, err := c.ReadRaw(); err != nil {
					return
				}
			}
		})
		senders.Go(func() {
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					_ = c.WS.Close()
					return
				case <-tick.C:
				}
				if err := c.WS.WriteJSON(frame{"op": "send", "room": "busy", "text": "x"}); err != nil {
					return
				}
			}
		})
	}
	t.Cleanup(func() { close(stop); senders.Wait() })

	cycler := s.dial("cycler")
	events := 0
	for i := range cycles {
		cycler.Send(frame{"op": "join", "room": "busy", "history": 0})
		// The snapshot comes first: a frame of the room before it would be
		// one the last cycle's leave should have ended.
		if f := cycler.Next(); f["op"] != "snapshot" {
			t.Fatalf("cycle %d: got %v after the join, want the snapshot", i, f)
		}
		cycler.Send(frame{"op": "leave", "room": "busy", "ref": i})
		acked, left := false, false
		for !left {
			f := cycler.Next()
			switch f["op"] {
			case "ack":
				acked = true
			case "event":
				events++
				ev := f["event"].(map[string]any)
				left = ev["type"] == "leave" && ev["user"] == "cycler"
			default:
				t.Fatalf("cycle %d: got %v", i, f)
			}
		}
		cycler.Send(frame{"op": "ping", "ref": i})
		for {
			f := cycler.Next()
			if f["op"] == "ack" && !acked {
				acked = true
				continue
			}
			if f["op"] != "pong" {
				t.Fatalf("cycle %d: got %v after the own leave, want the pong", i, f)
			}
			break
		}
	}
	if events < 2*cycles {
		t.Fatalf("the cycler saw %d events in 1,000 cycles, want at least its joins and leaves", events)
	}
}

// TestJoinsAndLeavesAreRateLimited: with a burst of 5 and a rate too slow to
// refill during the test, a connection's first five joins and leaves are
// taken and the sixth is refused with rate_limited; the log holds exactly
// the five.
func TestJoinsAndLeavesAreRateLimited(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{JoinRate: 0.001, JoinBurst: 5})
	c := s.dial("hopper")
	for i := range 5 {
		if i%2 == 0 {
			c.Send(frame{"op": "join", "room": "hop"})
			c.Expect("snapshot", nil)
			c.ExpectEvent("hop", "join", "hopper")
		} else {
			c.Send(frame{"op": "leave", "room": "hop", "ref": i})
			c.AckAndEvent(i, "leave")
		}
	}
	c.Send(frame{"op": "leave", "room": "hop", "ref": "sixth"})
	c.Expect("error", frame{"code": "rate_limited", "ref": "sixth"})
	c.Send(frame{"op": "join", "room": "other", "ref": "seventh"})
	c.Expect("error", frame{"code": "rate_limited", "ref": "seventh"})

	var page struct {
		Events []any `json:"events"`
	}
	testenv.WaitFor(t, 10*time.Second, func() error {
		getJSON(t, s.http.URL+"/api/rooms/hop/events?after=-1", &page)
		if len(page.Events) != 5 {
			return fmt.Errorf("%d events in the log, want 5", len(page.Events))
		}
		return nil
	})
	if st := getJSON(t, s.http.URL+"/api/rooms/other", &map[string]any{}); st != 404 {
		t.Fatalf("room other answers %d, want 404: the refused join wrote nothing", st)
	}
}

// TestLeaveOwedAcrossAnOutage: a member closes its socket while Kafka is
// away. The server owes the leave and writes it once Kafka is back, while
// its instance keeps beating: the room and the active-user list are empty
// again without any expiry. The session TTL is longer than the test, so
// that only the owed leave can empty the room: neither an expiry nor the
// re-assertion (every TTL) comes round meanwhile.
func TestLeaveOwedAcrossAnOutage(t *testing.T) {
	t.Parallel()
	broker, kcfg := testenv.RestartableKafka(t, 2)
	dir := t.TempDir()
	runProcessors(t, kcfg, dir)
	_, hs, _ := startServer(t, kcfg, dir, server.Config{ServerID: "s1", WriteTimeout: 2 * time.Second, SessionTTL: time.Hour})
	alice := testenv.Dial(t, hs.URL, "alice")
	alice.Send(frame{"op": "join", "room": "h"})
	alice.Expect("snapshot", nil)
	alice.ExpectEvent("h", "join", "alice")

	broker.Stop()
	_ = alice.WS.Close()
	// Longer than a write's bound, so that the first tries fail.
	testenv.WaitFor(t, 30*time.Second, func() error {
		if st := status(hs.URL + "/readyz"); st != 503 {
			return fmt.Errorf("readyz %d during the outage", st)
		}
		return nil
	})
	broker.Start()
	testenv.WaitFor(t, 60*time.Second, func() error {
		if m := members(t, hs.URL, "h"); m != "[]" {
			return fmt.Errorf("members %s, want alice's owed leave written", m)
		}
		return nil
	})
	var page struct {
		Events []struct {
			Event map[string]any `json:"event"`
		} `json:"events"`
	}
	getJSON(t, hs.URL+"/api/rooms/h/events?after=-1", &page)
	var types []string
	for _, e := range page.Events {
		types = append(types, fmt.Sprint(e.Event["type"], " ", e.Event["user"]))
	}
	if fmt.Sprint(types) != "[join alice leave alice]" {
		t.Fatalf("room h's log %v, want alice's join and leave", types)
	}
}
