package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/client"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// TestJoinSendAck: two clients in a room see each other's join and
// messages, in the same order, with the cursors the acks gave; refused
// requests come back as typed errors.
func TestJoinSendAck(t *testing.T) {
	s := newStack(t, server.Config{})
	alice := dial(t, s, "alice", client.Options{})
	if h := alice.Hello(); h.User != "alice" || h.Session == "" || h.Server != "s1" || h.Epoch == "" {
		t.Fatalf("hello %+v", h)
	}
	if st := alice.State(); st != client.Live {
		t.Fatalf("state %v after Dial, want live", st)
	}
	ar := join(t, alice, "lobby")
	if snap := ar.Snapshot(); snap.Cursor != -1 || len(snap.Members) != 0 || len(snap.Events) != 0 || snap.Resumed {
		t.Fatalf("first snapshot of an empty room: %+v", snap)
	}
	aup := collect(ar)
	bob := dial(t, s, "bob", client.Options{})
	br := join(t, bob, "lobby")
	bup := collect(br)

	c1 := send(t, ar, "hi bob")
	c2 := send(t, br, "hi alice")
	aup.waitText(t, "hi alice")
	bup.waitText(t, "hi alice")

	if got, want := describe(aup.entries()), "join:alice join:bob message:alice:hi bob message:bob:hi alice"; got != want {
		t.Fatalf("alice received %s, want %s", got, want)
	}
	// Bob's snapshot may come before alice's join is in the room's
	// state; then her join is an event of his stream.
	be := bup.entries()
	if got, want := describe(be[len(be)-2:]), "message:alice:hi bob message:bob:hi alice"; got != want {
		t.Fatalf("bob received %s, want %s at the end", describe(be), want)
	}
	if be[len(be)-2].Cursor != c1 || be[len(be)-1].Cursor != c2 {
		t.Fatalf("cursors %s, acks said %d %d", describe(be), c1, c2)
	}
	sameAsLog(t, s, "lobby", -1, aup.entries())
	sameAsLog(t, s, "lobby", br.Snapshot().Cursor, be)
	if got := fmt.Sprint(ar.Members()); got != "[{alice 1} {bob 1}]" {
		t.Fatalf("members %s", got)
	}
	if n := ar.Messages(); n != 2 {
		t.Fatalf("messages %d, want 2", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var ce *client.Error
	if _, err := ar.Send(ctx, "   "); !errors.Is(err, client.ErrBadRequest) || !errors.As(err, &ce) || ce.Message == "" {
		t.Fatalf("blank send: %v, want bad_request", err)
	}
	if _, err := ar.Send(ctx, strings.Repeat("x", 5000)); !errors.Is(err, client.ErrTooLarge) {
		t.Fatalf("long send: %v, want too_large", err)
	}
	if _, err := alice.Join(ctx, "no such room!", client.JoinOptions{}); !errors.Is(err, client.ErrBadRequest) {
		t.Fatalf("join of a bad name: %v, want bad_request", err)
	}
	if again := join(t, alice, "lobby"); again != ar {
		t.Fatal("joining a joined room gave another Room")
	}
}

// TestRateLimited: sends over the server's rate answer rate_limited.
func TestRateLimited(t *testing.T) {
	s := newStack(t, server.Config{SendRate: 0.01, SendBurst: 2})
	alice := dial(t, s, "alice", client.Options{})
	r := join(t, alice, "r")
	send(t, r, "one")
	send(t, r, "two")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := r.Send(ctx, "three"); !errors.Is(err, client.ErrRateLimited) {
		t.Fatalf("third send: %v, want rate_limited", err)
	}
}

// TestUnauthorized: a refused identity fails Dial with the server's code.
func TestUnauthorized(t *testing.T) {
	s := newStack(t, server.Config{AuthSecret: "s3cret"})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, err := client.Dial(ctx, client.Options{URL: s.url, User: "alice"})
	if !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("dial with ?user= on a server with a secret: %v, want unauthorized", err)
	}
}

// TestLeave: the own leave is the last update, then the stream ends, the
// position is forgotten, and a new join starts from fresh history.
func TestLeave(t *testing.T) {
	s := newStack(t, server.Config{})
	store := &client.MemoryStore{}
	alice := dial(t, s, "alice", client.Options{Store: store})
	r := join(t, alice, "r")
	up := collect(r)
	send(t, r, "bye soon")
	up.waitText(t, "bye soon")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := r.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-up.done:
	case <-time.After(wait):
		t.Fatal("Updates not closed after the leave")
	}
	if got, want := describe(up.entries()), "join:alice message:alice:bye soon leave:alice"; got != want {
		t.Fatalf("received %s, want %s", got, want)
	}
	if r.Err() != nil {
		t.Fatalf("Err after Leave: %v", r.Err())
	}
	if _, err := r.Send(ctx, "late"); !errors.Is(err, client.ErrLeft) {
		t.Fatalf("send after leave: %v, want ErrLeft", err)
	}
	if _, ok := store.Load("r"); ok {
		t.Fatal("position kept after the leave")
	}
	r2 := join(t, alice, "r")
	if r2 == r || r2.Snapshot().Resumed || len(r2.Snapshot().Events) != 1 {
		t.Fatalf("join after leave: %+v", r2.Snapshot())
	}
}

// TestCursorStoreResumesAcrossClients: a program that comes back with the
// positions of its store gets the events it missed, once, and nothing
// twice.
func TestCursorStoreResumesAcrossClients(t *testing.T) {
	s := newStack(t, server.Config{})
	store := &client.MemoryStore{}
	first := dial(t, s, "alice", client.Options{Store: store})
	r := join(t, first, "r")
	up := collect(r)
	send(t, r, "before")
	up.waitText(t, "before")
	testenv.WaitFor(t, wait, func() error {
		if p, _ := store.Load("r"); p.Cursor != up.entries()[1].Cursor {
			return fmt.Errorf("stored %+v, want the cursor of %q", p, "before")
		}
		return nil
	})
	pos, _ := store.Load("r")
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// The server writes alice's leave when it sees her connection end,
	// which may come after bob's join unless bob waits for it.
	waitInLog(t, s, "r", pos.Cursor, "leave", "alice")
	bob := dial(t, s, "bob", client.Options{})
	br := join(t, bob, "r")
	for i := range 3 {
		send(t, br, fmt.Sprintf("missed %d", i))
	}
	second := dial(t, s, "alice", client.Options{Store: store})
	r2 := join(t, second, "r")
	up2 := collect(r2)
	if !r2.Snapshot().Resumed {
		t.Fatalf("join with a stored position did not resume: %+v", r2.Snapshot())
	}
	up2.waitText(t, "missed 2")
	testenv.WaitFor(t, wait, func() error {
		if n := len(up2.entries()); n < 6 {
			return fmt.Errorf("%d events", n)
		}
		return nil
	})
	got := up2.entries()
	if d, want := describe(got), "leave:alice join:bob message:bob:missed 0 message:bob:missed 1 message:bob:missed 2 join:alice"; d != want {
		t.Fatalf("received %s, want %s", d, want)
	}
	sameAsLog(t, s, "r", pos.Cursor, got)
}

// TestSlowApplication: an application that does not read while events
// pile up past Buffer loses none: the room catches up by resuming.
func TestSlowApplication(t *testing.T) {
	s := newStack(t, server.Config{SendRate: 1000, SendBurst: 1000})
	alice := dial(t, s, "alice", client.Options{Buffer: 4})
	r := join(t, alice, "r")
	start := r.Snapshot().Cursor
	bob := dial(t, s, "bob", client.Options{})
	br := join(t, bob, "r")
	const n = 40
	for i := range n {
		send(t, br, fmt.Sprintf("m%d", i))
	}
	up := collect(r) // only now does alice read
	up.waitText(t, fmt.Sprintf("m%d", n-1))
	for _, u := range up.updates() {
		if u.Kind != client.EventUpdate {
			t.Fatalf("update %v in a stream that had no gap", u.Kind)
		}
	}
	sameAsLog(t, s, "r", start, up.entries())
}

// TestCloseLeavesNothingRunning: Close ends every goroutine of the client,
// also with an application that stopped reading, a request waiting and a
// client that is reconnecting.
func TestCloseLeavesNothingRunning(t *testing.T) {
	s := newStack(t, server.Config{})
	var st states
	alice := dial(t, s, "alice", client.Options{OnState: st.add})
	r := join(t, alice, "r")
	join(t, alice, "other")
	send(t, r, "unread") // nobody receives the updates
	cs := &conns{}
	bob := dial(t, s, "bob", client.Options{Dialer: cs.dialer()})
	join(t, bob, "r")
	s.f.keepOut("bob")
	cs.cut()
	testenv.WaitFor(t, wait, func() error {
		if bob.State() != client.Reconnecting {
			return fmt.Errorf("bob %v", bob.State())
		}
		return nil
	})
	sent := make(chan error, 1)
	go func() {
		_, err := bob.Room("r").Send(context.Background(), "waits for the rejoin")
		sent <- err
	}()
	if err := alice.Close(); err != nil {
		t.Fatal(err)
	}
	if err := bob.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-sent; !errors.Is(err, client.ErrClosed) {
		t.Fatalf("send waiting at Close: %v, want ErrClosed", err)
	}
	if _, ok := <-r.Updates(); ok {
		// An update may have been waiting; the channel closes after it.
		if _, ok := <-r.Updates(); ok {
			t.Fatal("Updates not closed after Close")
		}
	}
	if st.String() != "[connecting live closed]" || alice.State() != client.Closed {
		t.Fatalf("states %s", st.String())
	}
	if r.Err() != client.ErrClosed {
		t.Fatalf("Err %v, want ErrClosed", r.Err())
	}
	noClientGoroutines(t)
}
