package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/chatstate/chatstate/client"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// TestRejoinRefusedForNowKeepsTheConnection: after a reconnect, the server
// takes two of alice's three rejoins at once and refuses the third with
// rate_limited (2 joins of burst, 1 a second). That room alone tries again
// on the same connection, after its backoff, until it is taken: alice dials
// exactly twice (her first connection and the one after the cut), and every
// room resumes with nothing lost, no gap and no reset.
func TestRejoinRefusedForNowKeepsTheConnection(t *testing.T) {
	s := newStack(t, server.Config{JoinRate: 1, JoinBurst: 2})
	cs := &conns{}
	alice := dial(t, s, "alice", client.Options{Dialer: cs.dialer()})
	bob := dial(t, s, "bob", client.Options{})
	rooms := []string{"r1", "r2", "r3"}
	ups := map[string]*collector{}
	bobs := map[string]*client.Room{}
	for _, name := range rooms {
		ups[name] = collect(joinLimited(t, alice, name))
		bobs[name] = joinLimited(t, bob, name)
		send(t, bobs[name], "before "+name)
		ups[name].waitText(t, "before "+name)
	}
	refused := rateLimited(t, s)

	cs.cut()
	for _, name := range rooms {
		send(t, bobs[name], "after "+name)
	}
	for _, name := range rooms {
		ups[name].waitText(t, "after "+name)
	}
	if got := rateLimited(t, s) - refused; got < 1 {
		t.Fatalf("the server refused %v rejoins with rate_limited, want at least one", got)
	}
	if n := cs.count(); n != 2 {
		t.Fatalf("alice dialed %d connections, want 2: a refused rejoin replaced the connection", n)
	}
	for _, name := range rooms {
		for _, u := range ups[name].updates() {
			if u.Kind != client.EventUpdate {
				t.Fatalf("room %s: a %v update, want its events only", name, u.Kind)
			}
		}
		after := ups[name].entries()
		sameAsLog(t, s, name, after[0].Cursor-1, after)
	}
}

// joinLimited joins room, trying again while the server answers
// rate_limited.
func joinLimited(t *testing.T, c *client.Client, room string) *client.Room {
	t.Helper()
	var r *client.Room
	testenv.WaitFor(t, wait, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		var err error
		if r, err = c.Join(ctx, room, client.JoinOptions{}); errors.Is(err, client.ErrRateLimited) {
			return err
		} else if err != nil {
			t.Fatalf("join %s: %v", room, err)
		}
		return nil
	})
	return r
}

var rateLimitedLine = regexp.MustCompile(`(?m)^chatstate_request_errors_total\{code="rate_limited"\} (\S+)$`)

// rateLimited returns how many requests the server refused with
// rate_limited, from its metrics.
func rateLimited(t *testing.T, s *stack) float64 {
	t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := rateLimitedLine.FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(fmt.Errorf("rate_limited counter %q: %w", m[1], err))
	}
	return n
}
