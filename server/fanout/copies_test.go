package fanout

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/prometheus/client_golang/prometheus"
)

func newTestHub() *Hub {
	return NewHub(4, 16, prometheus.NewCounter(prometheus.CounterOpts{Name: "d"}))
}

func ev(typ codec.EventType, room, user, session string) *codec.Event {
	e := codec.NewEvent(typ, room, user)
	e.Session, e.Server = session, "s1"
	if typ == codec.Message {
		e.Text = "hi"
	}
	return &e
}

func noFrame() []byte { return nil }

func cursorsOf(es []protocol.Entry) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.Cursor)
	}
	return out
}

// The copy is the processors' fold of what the tail dispatches after it
// was made, and its ring the events of the room, exactly.
func TestCopyFoldsWhatTheTailDispatches(t *testing.T) {
	h := newTestHub()
	if h.Copy("r", func(Room) { t.Fatal("called without a copy") }) {
		t.Fatal("a copy before Keep")
	}
	// The view's row at cursor 10, and the log's events of the room from 5.
	want := codec.NewRoomState("r")
	var seed []protocol.Entry
	for _, x := range []struct {
		c int64
		e *codec.Event
	}{{5, ev(codec.Join, "r", "a", "sa")}, {10, ev(codec.Message, "r", "a", "sa")}} {
		processors.FoldRoom(want, x.e, x.c)
		seed = append(seed, protocol.Entry{Cursor: x.c, Event: x.e.Public()})
	}
	if !h.Keep(want.Clone(), seed, 5) {
		t.Fatal("Keep refused a current row")
	}
	if h.Keep(want.Clone(), nil, 11) {
		t.Fatal("Keep replaced a copy")
	}
	// The tail goes on; a redelivery at or below the cursor changes nothing.
	later := []struct {
		c int64
		e *codec.Event
	}{{10, ev(codec.Message, "r", "a", "sa")}, {12, ev(codec.Join, "r", "b", "sb")}, {15, ev(codec.Message, "r", "b", "sb")}, {17, ev(codec.Leave, "r", "a", "sa")}}
	for _, x := range later {
		h.Dispatch(x.e, x.c, noFrame)
		processors.FoldRoom(want, x.e, x.c)
	}
	h.Copy("r", func(r Room) {
		row := r.Row()
		if row.Cursor != 17 || row.Messages != want.Messages || fmt.Sprint(r.Members()) != fmt.Sprint(want.MemberList()) {
			t.Fatalf("copy at %d, %d messages, members %v; want %+v", row.Cursor, row.Messages, r.Members(), want)
		}
		if got, ok := r.After(4); !ok || fmt.Sprint(cursorsOf(got)) != "[5 10 12 15 17]" {
			t.Fatalf("After(4) = %v %v", cursorsOf(got), ok)
		}
		if got, ok := r.After(12); !ok || fmt.Sprint(cursorsOf(got)) != "[15 17]" {
			t.Fatalf("After(12) = %v %v", cursorsOf(got), ok)
		}
		if _, ok := r.After(3); ok {
			t.Fatal("After(3) answered from a ring that starts at 5")
		}
		if got, ok := r.Messages(5, 1); !ok || fmt.Sprint(cursorsOf(got)) != "[15]" {
			t.Fatalf("Messages(5, 1) = %v %v", cursorsOf(got), ok)
		}
		if got, ok := r.Messages(5, 9); !ok || fmt.Sprint(cursorsOf(got)) != "[10 15]" {
			t.Fatalf("Messages(5, 9) = %v %v", cursorsOf(got), ok)
		}
		if _, ok := r.Messages(4, 9); ok {
			t.Fatal("Messages(4) answered from a ring that starts at 5")
		}
	})
}

// A row behind what the tail dispatched lacks an event: no copy of it.
func TestKeepRefusesARowBehindTheTail(t *testing.T) {
	h := newTestHub()
	h.Dispatch(ev(codec.Join, "r", "a", "sa"), 7, noFrame)
	if h.Keep(codec.NewRoomState("r"), nil, 0) {
		t.Fatal("kept a row at -1 after the tail dispatched 7")
	}
	row := codec.NewRoomState("r")
	processors.FoldRoom(row, ev(codec.Join, "r", "a", "sa"), 7)
	if !h.Keep(row, nil, 0) || h.Copies() != 1 {
		t.Fatal("refused a row at the tail's cursor")
	}
	// Kept without events, the copy promises none before its cursor.
	h.Copy("r", func(r Room) {
		if _, ok := r.After(6); ok {
			t.Fatal("After(6) from a copy that has no events")
		}
		if got, ok := r.After(7); !ok || len(got) != 0 {
			t.Fatalf("After(7) = %v %v", got, ok)
		}
	})
}

// The ring keeps the newest RingSize events and says where it starts.
func TestRingKeepsTheNewest(t *testing.T) {
	h := newTestHub()
	h.Keep(codec.NewRoomState("r"), nil, 0)
	n := 3*RingSize + 5
	for i := range n {
		h.Dispatch(ev(codec.Message, "r", "a", "sa"), int64(2*i), noFrame)
	}
	h.Copy("r", func(r Room) {
		oldest := int64(2 * (n - RingSize))
		// The newest event dropped is at oldest-2: the events after it are
		// all there, those after a cursor below it not.
		if _, ok := r.After(oldest - 3); ok {
			t.Fatal("answered from before the ring")
		}
		got, ok := r.After(oldest - 2)
		if !ok || len(got) != RingSize || got[0].Cursor != oldest || got[RingSize-1].Cursor != int64(2*(n-1)) {
			t.Fatalf("After(%d): %d events from %v, %v", oldest-2, len(got), cursorsOf(got[:1]), ok)
		}
		if r.Row().Messages != int64(n) {
			t.Fatalf("%d messages, want %d", r.Row().Messages, n)
		}
	})
}

// Copies of rooms nobody follows go after copyIdle; a gap in the tail
// drops the copies of its partition at once.
func TestCopiesPrunedAndDropped(t *testing.T) {
	h := newTestHub()
	h.Keep(codec.NewRoomState("idle"), nil, 0)
	h.Keep(codec.NewRoomState("followed"), nil, 0)
	h.Subscribe(&stubSubscriber{session: "s"}, "followed")
	now := time.Now()
	for i := range h.parts {
		h.parts[i].pruneCopies(now)
	}
	if h.Copies() != 2 {
		t.Fatalf("%d copies after the first prune, want 2", h.Copies())
	}
	for i := range h.parts {
		h.parts[i].pruneCopies(now.Add(copyIdle))
	}
	if h.Copies() != 1 || !h.Copy("followed", func(Room) {}) {
		t.Fatalf("%d copies after copyIdle, want the followed room's", h.Copies())
	}
	h.dropCopies(int(kafka.Partition("followed", h.partitions)))
	if h.Copies() != 0 {
		t.Fatal("a gap in the partition left its copies")
	}
}

// Long messages: the ring keeps RingBytes of them, not RingSize.
func TestRingBoundedInBytes(t *testing.T) {
	h := newTestHub()
	h.Keep(codec.NewRoomState("r"), nil, 0)
	long := ev(codec.Message, "r", "a", "sa")
	long.Text = string(make([]byte, 4000))
	for i := range RingSize {
		h.Dispatch(long, int64(i), noFrame)
	}
	h.Copy("r", func(r Room) {
		n, bytes := len(r.c.ring), r.c.bytes
		if bytes > RingBytes || n != RingBytes/entrySize(r.c.ring[0]) {
			t.Fatalf("%d events of %d bytes in all, want the %d that fit in %d", n, bytes, RingBytes/entrySize(r.c.ring[0]), RingBytes)
		}
		if got, ok := r.After(int64(RingSize - n - 1)); !ok || len(got) != n {
			t.Fatalf("After the newest dropped: %d events, %v", len(got), ok)
		}
	})
}

// Under a steady stream the tail is past the row a join read: what it
// dispatched since the join subscribed brings the row up to it.
func TestKeepFoldsWhatCameWhileTheJoinRead(t *testing.T) {
	h := newTestHub()
	row := codec.NewRoomState("r")
	processors.FoldRoom(row, ev(codec.Join, "r", "a", "sa"), 7)
	h.Dispatch(ev(codec.Join, "r", "a", "sa"), 7, noFrame)
	h.Subscribe(&stubSubscriber{session: "sb"}, "r") // the wait begins at 7
	h.Dispatch(ev(codec.Message, "r", "a", "sa"), 8, noFrame)
	h.Dispatch(ev(codec.Join, "r", "b", "sb"), 9, noFrame)
	if !h.Keep(row, nil, 8) {
		t.Fatal("refused a row the wait brings up to the tail")
	}
	h.Copy("r", func(r Room) {
		got, ok := r.After(7)
		if r.Row().Cursor != 9 || r.Row().Messages != 1 || len(r.Members()) != 2 || !ok || fmt.Sprint(cursorsOf(got)) != "[8 9]" {
			t.Fatalf("copy at %d, %d messages, members %v, After(7) %v %v", r.Row().Cursor, r.Row().Messages, r.Members(), cursorsOf(got), ok)
		}
	})

	// A row older than where the wait began lacks what the wait did not
	// see: no copy.
	h2 := newTestHub()
	h2.Dispatch(ev(codec.Join, "q", "a", "sa"), 7, noFrame)
	h2.Subscribe(&stubSubscriber{session: "sb"}, "q")
	h2.Dispatch(ev(codec.Message, "q", "a", "sa"), 8, noFrame)
	if h2.Keep(codec.NewRoomState("q"), nil, 0) {
		t.Fatal("kept a row at -1 that lacks the event at 7")
	}
}
