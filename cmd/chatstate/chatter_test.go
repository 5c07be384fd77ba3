package main_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// chatter is a test client that joins its rooms and then sends messages to
// them in turn, one at a time, each answered by an ack or an error, until
// stopped. It records what was acked, what was refused, and the cursor of
// every event frame it receives.
type chatter struct {
	user  string
	rooms []string
	c     *testenv.Client

	mu      sync.Mutex
	acked   map[string][]string // room → texts acked
	refused map[string][]string // room → texts answered with unavailable
	cursors map[string][]int64  // room → cursors of the event frames received
	nAcked  int
	err     error // the reason the loop ended early

	stopCh chan struct{}
	done   chan struct{}
}

// newChatter dials base as user and joins rooms.
func newChatter(t *testing.T, base, user string, rooms ...string) *chatter {
	t.Helper()
	ch := &chatter{user: user, rooms: rooms, c: testenv.Dial(t, base, user),
		acked: map[string][]string{}, refused: map[string][]string{}, cursors: map[string][]int64{},
		stopCh: make(chan struct{}), done: make(chan struct{})}
	for _, r := range rooms {
		ch.c.Send(testenv.Frame{"op": "join", "room": r})
		ch.c.Expect("snapshot", testenv.Frame{"room": r})
		// Then events, the own join among them.
		for {
			f := ch.c.Expect("event", nil)
			room, cursor := f["room"].(string), int64(f["cursor"].(float64))
			ch.cursors[room] = append(ch.cursors[room], cursor)
			ev := f["event"].(map[string]any)
			if room == r && ev["type"] == "join" && ev["user"] == user {
				break
			}
		}
	}
	return ch
}

// start runs the send loop in the background: at most max messages, a
// pause between two, and at most limit of time in all.
func (ch *chatter) start(max int, pause, limit time.Duration) {
	go func() {
		defer close(ch.done)
		ch.setErr(ch.loop(max, pause, time.Now().Add(limit)))
	}()
}

func (ch *chatter) loop(max int, pause time.Duration, deadline time.Time) error {
	for n := range max {
		select {
		case <-ch.stopCh:
			return nil
		default:
		}
		if time.Now().After(deadline) {
			return nil
		}
		room := ch.rooms[n%len(ch.rooms)]
		text := fmt.Sprintf("%s-%d", ch.user, n)
		if err := ch.c.WS.WriteJSON(testenv.Frame{"op": "send", "room": room, "text": text, "ref": n}); err != nil {
			return err
		}
		for answered := false; !answered; {
			_ = ch.c.WS.SetReadDeadline(time.Now().Add(60 * time.Second))
			var f struct {
				Op     string
				Ref    *int
				Room   string
				Cursor int64
				Code   string
				Event  struct{ Type string }
			}
			if err := ch.c.WS.ReadJSON(&f); err != nil {
				return fmt.Errorf("%s: read: %w", ch.user, err)
			}
			ch.mu.Lock()
			switch {
			case f.Op == "unread":
				// The counts of the rooms joined change with every
				// message of another member: not what this loop follows.
			case f.Op == "event":
				ch.cursors[f.Room] = append(ch.cursors[f.Room], f.Cursor)
			case f.Op == "ack" && f.Ref != nil && *f.Ref == n:
				ch.acked[room] = append(ch.acked[room], text)
				ch.nAcked++
				answered = true
			case f.Op == "error" && f.Code == "unavailable" && f.Ref != nil && *f.Ref == n:
				// Kafka refused the write (a broker is down): the client
				// goes on, as a person would retry.
				ch.refused[room] = append(ch.refused[room], text)
				answered = true
			default:
				ch.mu.Unlock()
				return fmt.Errorf("%s: unexpected frame %+v waiting for the answer to send %d", ch.user, f, n)
			}
			ch.mu.Unlock()
		}
		time.Sleep(pause)
	}
	return nil
}

func (ch *chatter) setErr(err error) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.err = err
}

// stopAndWait ends the loop after the current request and fails the test if
// the loop ended with an error.
func (ch *chatter) stopAndWait(t *testing.T) {
	t.Helper()
	close(ch.stopCh)
	select {
	case <-ch.done:
	case <-time.After(90 * time.Second):
		t.Fatalf("%s: send loop did not stop", ch.user)
	}
	if ch.err != nil {
		t.Fatalf("%s: %v", ch.user, ch.err)
	}
}

// acks returns how many sends were acked so far.
func (ch *chatter) acks() int {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.nAcked
}

// failed returns the loop's error, if it ended early.
func (ch *chatter) failed() error {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.err
}

// waitAcks waits until every chatter has at least its baseline plus n acks.
func waitAcks(t *testing.T, timeout time.Duration, chatters []*chatter, n int) {
	t.Helper()
	base := make([]int, len(chatters))
	for i, ch := range chatters {
		base[i] = ch.acks()
	}
	testenv.WaitFor(t, timeout, func() error {
		for i, ch := range chatters {
			if err := ch.failed(); err != nil {
				t.Fatalf("%s stopped: %v", ch.user, err)
			}
			if got := ch.acks() - base[i]; got < n {
				return fmt.Errorf("%s has %d of %d more acks", ch.user, got, n)
			}
		}
		return nil
	})
}

// checkStreams checks invariant 3 on what each chatter received: per room,
// event cursors strictly increasing (nothing twice, nothing out of order).
func checkStreams(t *testing.T, chatters []*chatter) {
	t.Helper()
	for _, ch := range chatters {
		for room, cs := range ch.cursors {
			for i := 1; i < len(cs); i++ {
				if cs[i] <= cs[i-1] {
					t.Errorf("%s in %s received cursor %d after %d", ch.user, room, cs[i], cs[i-1])
					break
				}
			}
		}
	}
}
