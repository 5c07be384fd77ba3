package fanout

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/chatstate/chatstate/codec"
)

// recordingSubscriber records how each frame was queued: "now" through
// Enqueue, "later" through EnqueueLater.
type recordingSubscriber struct {
	session string
	mu      sync.Mutex
	got     []string
}

func (r *recordingSubscriber) record(how string, frame []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, how+" "+string(frame))
	return true
}
func (r *recordingSubscriber) Enqueue(f []byte) bool      { return r.record("now", f) }
func (r *recordingSubscriber) EnqueueLater(f []byte) bool { return r.record("later", f) }
func (r *recordingSubscriber) Session() string            { return r.session }
func (r *recordingSubscriber) User() string               { return "u-" + r.session }
func (r *recordingSubscriber) Close(int, string)          {}

func (r *recordingSubscriber) frames() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.got, ", ")
}

// TestOthersPresenceMayWait: the joins, leaves and expiries of other
// sessions are queued with EnqueueLater; the session's own, messages and
// everything else at once; a subscriber without EnqueueLater gets all at
// once.
func TestOthersPresenceMayWait(t *testing.T) {
	h := newTestHub()
	a := &recordingSubscriber{session: "sa"}
	plain := &stubCounter{session: "sp"}
	for _, c := range []Subscriber{a, plain} {
		s, last, _ := h.Subscribe(c, "r")
		s.GoLive(last)
	}
	events := []*codec.Event{
		ev(codec.Join, "r", "u-sa", "sa"),
		ev(codec.Join, "r", "b", "sb"),
		ev(codec.Message, "r", "b", "sb"),
		ev(codec.Leave, "r", "b", "sb"),
		ev(codec.Join, "r", "c", "sc"),
		ev(codec.Expire, "r", "c", "sc"),
	}
	for i, e := range events {
		h.Dispatch(e, int64(i), func() []byte { return fmt.Appendf(nil, "%d:%s/%s", i, e.Type, e.Session) })
	}
	want := "now 0:join/sa, later 1:join/sb, now 2:message/sb, later 3:leave/sb, later 4:join/sc, later 5:expire/sc"
	if got := a.frames(); got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	if plain.n != len(events) {
		t.Fatalf("the plain subscriber got %d frames, want %d", plain.n, len(events))
	}
}

// stubCounter is a Subscriber without EnqueueLater that counts frames.
type stubCounter struct {
	session string
	n       int
}

func (s *stubCounter) Enqueue([]byte) bool { s.n++; return true }
func (s *stubCounter) Session() string     { return s.session }
func (s *stubCounter) User() string        { return "u-" + s.session }
func (s *stubCounter) Close(int, string)   {}
