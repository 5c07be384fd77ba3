package client_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatstate/chatstate/client"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// sender posts n messages to r from its own goroutine, one after the
// other, going on through reconnects; a send whose answer was lost is not
// repeated (it may be in the log all the same).
type sender struct {
	mu    sync.Mutex
	acked []string
	done  chan struct{}
}

func startSender(r *client.Room, prefix string, n int) *sender {
	s := &sender{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for i := range n {
			text := fmt.Sprintf("%s %d", prefix, i)
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			_, err := r.Send(ctx, text)
			cancel()
			if errors.Is(err, client.ErrClosed) {
				return
			}
			if err == nil {
				s.mu.Lock()
				s.acked = append(s.acked, text)
				s.mu.Unlock()
			}
		}
	}()
	return s
}

func (s *sender) wait(t *testing.T) []string {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(2 * wait):
		t.Fatal("sender did not finish")
	}
	return s.acked
}

// everyOnce fails unless each text of acked is a message of got exactly once.
func everyOnce(t *testing.T, got []client.Entry, acked []string) {
	t.Helper()
	seen := map[string]int{}
	for _, e := range got {
		if e.Event.Type == "message" {
			seen[e.Event.Text]++
		}
	}
	for _, text := range acked {
		if seen[text] != 1 {
			t.Fatalf("acked %q received %d times", text, seen[text])
		}
	}
}

// TestCutConnectionResumes: alice's connection is cut three times while
// bob keeps sending; she receives exactly the log's events, each once, in
// order, and her state goes through reconnecting back to live.
func TestCutConnectionResumes(t *testing.T) {
	s := newStack(t, server.Config{SendRate: 1000, SendBurst: 1000})
	cs := &conns{}
	var st states
	alice := dial(t, s, "alice", client.Options{Dialer: cs.dialer(), OnState: st.add})
	ar := join(t, alice, "r")
	start := ar.Snapshot().Cursor
	up := collect(ar)
	bob := dial(t, s, "bob", client.Options{})
	br := join(t, bob, "r")
	snd := startSender(br, "bob", 60)
	for i := 1; i <= 3; i++ {
		up.waitText(t, fmt.Sprintf("bob %d", i*15))
		n := cs.count()
		cs.cut()
		testenv.WaitFor(t, wait, func() error {
			if cs.count() == n || alice.State() != client.Live {
				return fmt.Errorf("alice %v on connection %d", alice.State(), cs.count())
			}
			return nil
		})
	}
	acked := snd.wait(t)
	if len(acked) != 60 {
		t.Fatalf("bob's sends acked: %d of 60", len(acked))
	}
	up.waitText(t, "bob 59")
	got := up.entries()
	sameAsLog(t, s, "r", start, got)
	everyOnce(t, got, acked)
	testenv.WaitFor(t, wait, func() error {
		if want := "[connecting live reconnecting live reconnecting live reconnecting live]"; st.String() != want {
			return fmt.Errorf("states %s, want %s", st.String(), want)
		}
		return nil
	})
}

// TestServerRestart: the server restarts under both clients while bob
// sends; alice's stream is exactly the log (her own leave and rejoin
// included) and every acked message of bob comes once.
func TestServerRestart(t *testing.T) {
	s := newStack(t, server.Config{SendRate: 1000, SendBurst: 1000})
	alice := dial(t, s, "alice", client.Options{})
	ar := join(t, alice, "r")
	start := ar.Snapshot().Cursor
	up := collect(ar)
	bob := dial(t, s, "bob", client.Options{})
	br := join(t, bob, "r")
	snd := startSender(br, "bob", 100)
	up.waitText(t, "bob 10")
	s.restartServer()
	acked := append(snd.wait(t), "after the restart")
	send(t, br, "after the restart")
	own := func(typ string) int {
		n := 0
		for _, e := range up.entries() {
			if e.Event.User == "alice" && e.Event.Type == typ {
				n++
			}
		}
		return n
	}
	up.waitText(t, "after the restart")
	// Her rejoin's join may come after bob's last message.
	testenv.WaitFor(t, wait, func() error {
		if own("join") != 2 {
			return fmt.Errorf("alice's joins: %d", own("join"))
		}
		return nil
	})
	got := up.entries()
	sameAsLog(t, s, "r", start, got)
	everyOnce(t, got, acked)
	if own("leave") != 1 {
		t.Fatalf("alice's leaves: %d, want the restart's", own("leave"))
	}
}

// TestTruncatedResume: while alice is away more than 1000 events are
// written; her resume says so with a GapUpdate, then brings the newest
// 1000, which join the live stream without a gap.
func TestTruncatedResume(t *testing.T) {
	s := newStack(t, server.Config{SendRate: 1e6, SendBurst: 10000})
	cs := &conns{}
	alice := dial(t, s, "alice", client.Options{Dialer: cs.dialer()})
	ar := join(t, alice, "r")
	up := collect(ar)
	bob := dial(t, s, "bob", client.Options{})
	br := join(t, bob, "r")
	testenv.WaitFor(t, wait, func() error {
		if d := describe(up.entries()); d != "join:alice join:bob" {
			return fmt.Errorf("alice received %s", d)
		}
		return nil
	})
	s.f.keepOut("alice")
	cs.cut()
	testenv.WaitFor(t, wait, func() error {
		if alice.State() != client.Reconnecting {
			return fmt.Errorf("alice %v", alice.State())
		}
		return nil
	})
	const n = 1005
	var workers sync.WaitGroup
	for w := range 5 {
		workers.Go(func() {
			for i := w; i < n; i += 5 {
				send(t, br, fmt.Sprintf("m%d", i))
			}
		})
	}
	workers.Wait()
	s.f.letIn()
	var gap *client.Snapshot
	var after []client.Entry
	testenv.WaitFor(t, wait, func() error {
		gap, after = nil, nil
		for _, u := range up.updates() {
			switch {
			case u.Kind == client.GapUpdate:
				gap = u.Snapshot
			case u.Kind == client.EventUpdate && gap != nil:
				after = append(after, u.Entry)
			}
		}
		if gap == nil || len(after) < 1001 {
			var kinds []string
			for _, u := range up.updates() {
				kinds = append(kinds, u.Kind.String())
			}
			return fmt.Errorf("gap %v, %d events after it; state %v; %d updates %.200v", gap != nil, len(after), alice.State(), len(kinds), kinds)
		}
		return nil
	})
	if gap.Resumed || !gap.Truncated {
		t.Fatalf("gap snapshot resumed %v truncated %v", gap.Resumed, gap.Truncated)
	}
	before := up.entries()[1].Cursor
	missed := logOf(t, s, "r", before, gap.Cursor)
	if len(missed) <= 1000 {
		t.Fatalf("the log has %d events while alice was away, want over 1000", len(missed))
	}
	sameAsLog(t, s, "r", missed[len(missed)-1001].Cursor, after[:1000])
	if d := describe(after[1000:]); d != "join:alice" {
		t.Fatalf("after the resumed events: %s, want alice's join", d)
	}
	sameAsLog(t, s, "r", gap.Cursor, after[1000:])
}

// TestEpochChange: the server comes back on a new log; alice's rejoin does
// not resume but starts the room afresh with a ResetUpdate carrying the
// new log's history, and her store moves to the new epoch.
func TestEpochChange(t *testing.T) {
	s := newStack(t, server.Config{})
	store := &client.MemoryStore{}
	alice := dial(t, s, "alice", client.Options{Store: store})
	old := alice.Hello().Epoch
	ar := join(t, alice, "r")
	up := collect(ar)
	send(t, ar, "old")
	up.waitText(t, "old")
	s.f.keepOut("alice")
	s.newLog()
	carol := dial(t, s, "carol", client.Options{})
	send(t, join(t, carol, "r"), "fresh")
	s.f.letIn()
	var reset *client.Snapshot
	var after []client.Entry
	testenv.WaitFor(t, wait, func() error {
		reset, after = nil, nil
		for _, u := range up.updates() {
			switch {
			case u.Kind == client.GapUpdate:
				t.Fatal("a gap, not a reset")
			case u.Kind == client.ResetUpdate:
				reset = u.Snapshot
			case reset != nil:
				after = append(after, u.Entry)
			}
		}
		// carol's message is in the reset's history, or, when the new
		// server's snapshot was taken before its reader passed it (and
		// carol's join), among the events after it: either way once, and
		// alice's join last (sameAsLog below holds them to the log).
		if reset == nil || !strings.HasSuffix(describe(after), "join:alice") {
			return fmt.Errorf("reset %v, events after it: %s", reset != nil, describe(after))
		}
		return nil
	})
	if reset.Epoch == old || reset.Epoch != alice.Hello().Epoch || reset.Resumed {
		t.Fatalf("reset in epoch %s (was %s, hello says %s), resumed %v", reset.Epoch, old, alice.Hello().Epoch, reset.Resumed)
	}
	var msgs []client.Entry
	for _, e := range append(slices.Clone(reset.Events), after...) {
		if e.Event.Type == "message" {
			msgs = append(msgs, e)
		}
	}
	if d := describe(msgs); d != "message:carol:fresh" {
		t.Fatalf("the messages of the new log's history and the events after it: %s", d)
	}
	if ar.Snapshot() != reset {
		t.Fatal("Snapshot is not the reset's")
	}
	sameAsLog(t, s, "r", reset.Cursor, after)
	testenv.WaitFor(t, wait, func() error {
		if p, _ := store.Load("r"); p != (client.Position{Epoch: reset.Epoch, Cursor: after[len(after)-1].Cursor}) {
			return fmt.Errorf("stored %+v", p)
		}
		return nil
	})
}

// TestAckTimeout: with the broker stopped, a send whose context ends
// first returns the context's error; one that waits longer gets the
// server's unavailable; once the broker is back, sends are acked again.
func TestAckTimeout(t *testing.T) {
	s := newRestartableStack(t, server.Config{WriteTimeout: 3 * time.Second})
	alice := dial(t, s, "alice", client.Options{})
	r := join(t, alice, "r")
	send(t, r, "before")
	s.broker.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := r.Send(ctx, "no ack in time"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("send with a short deadline: %v, want deadline exceeded", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), wait)
	defer cancel2()
	if _, err := r.Send(ctx2, "refused"); !errors.Is(err, client.ErrUnavailable) {
		t.Fatalf("send during the outage: %v, want unavailable", err)
	}
	if alice.State() != client.Live {
		t.Fatalf("state %v during the outage, want live", alice.State())
	}
	s.broker.Start()
	testenv.WaitFor(t, wait, func() error {
		if !s.b.srv.Ready() {
			return fmt.Errorf("not ready after the outage")
		}
		return nil
	})
	send(t, r, "after")
}
