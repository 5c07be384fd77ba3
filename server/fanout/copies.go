package fanout

import (
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/server/protocol"
)

// RingSize is how many of a room's latest events the hub keeps with its
// copy of the room: enough for a join's default history (50 messages, and
// up to codec.MarkEvery-1 before them where the row's mark is) and for the
// resume of a client that was away for a few dozen events.
const RingSize = 128

// RingBytes bounds the text a room's ring keeps (about, counting each
// event's fields), so that a room of long messages keeps fewer of them:
// a server's memory for copies is at most that per room it serves.
const RingBytes = 64 << 10

// copyIdle is how long the copy of a room that no connection follows any
// more is kept: long enough that the clients of a dropped network, or of a
// server restarting behind a load balancer, find it when they come back.
const copyIdle = time.Minute

// roomCopy is the hub's copy of a room it serves, kept current by the tail:
// the room's row, folded with the processors' own fold, and its latest
// events. Every event of the room with a cursor from cover up to row.Cursor
// is in ring, oldest first. Hub partition lock held for every access.
type roomCopy struct {
	row     *codec.RoomState
	ring    []protocol.Entry
	bytes   int // entrySize of every event in ring
	cover   int64
	members []codec.Member // row.MemberList(), nil when a join or leave made it stale; never modified
	idle    time.Time      // when the last subscription of the room ended; zero while followed
	// outside are the room's members with read state and a connection
	// here outside its subscriptions, as of the generations outsideAt
	// (elsewhere.go); outsideOK is false when an event other than a
	// message may have changed them.
	outside   []string
	outsideAt [2]uint64
	outsideOK bool
}

// apply folds the event at cursor into the copy; events at or below its
// cursor were folded already. It reports whether the room's rules refused
// the event: the row's cursor passed it, and the ring does not keep it,
// so that no snapshot or resume from memory shows it.
func (c *roomCopy) apply(e *codec.Event, cursor int64) (refused bool) {
	if cursor <= c.row.Cursor {
		return false
	}
	if _, _, err := processors.FoldRoom(c.row, e, cursor); err != nil {
		return true
	}
	if e.Type != codec.Message {
		c.members = nil
		c.outsideOK = false
	}
	c.push(protocol.Entry{Cursor: cursor, Event: e.Public()})
	c.trim()
	return false
}

// push appends an event to the ring.
func (c *roomCopy) push(e protocol.Entry) {
	c.ring = append(c.ring, e)
	c.bytes += entrySize(e)
}

// entrySize is about what an event in a ring costs: its strings and the
// entry itself.
func entrySize(e protocol.Entry) int {
	p := e.Event
	return 128 + len(p.ID) + len(p.Room) + len(p.User) + len(p.TS) + len(p.Text) + len(p.Session)
}

// trim keeps the newest RingSize events, RingBytes at most. It reslices:
// once the array is full, append moves the live events to a new one, so a
// trim costs O(1) amortised and at most the array's length of dropped
// events stays alive until then.
func (c *roomCopy) trim() {
	over := max(0, len(c.ring)-RingSize)
	for i := 0; i < over; i++ {
		c.bytes -= entrySize(c.ring[i])
	}
	for over < len(c.ring) && c.bytes > RingBytes {
		c.bytes -= entrySize(c.ring[over])
		over++
	}
	if over == 0 {
		return
	}
	c.cover = c.ring[over-1].Cursor + 1
	if over == len(c.ring) {
		c.ring = nil
		return
	}
	c.ring = c.ring[over:]
}

// Room is a room as the hub's copy has it, handed to the function of
// Hub.Copy under the hub's lock: read it there, keep nothing of it but
// what its methods return.
type Room struct{ c *roomCopy }

// Row returns the room's row. It is the hub's own: do not modify it or
// keep it past the call; Clone it for that.
func (r Room) Row() *codec.RoomState { return r.c.row }

// Members returns the row's member list, sorted by user, shared by every
// caller until a join or leave changes it: read only.
func (r Room) Members() []codec.Member {
	if r.c.members == nil {
		r.c.members = r.c.row.MemberList()
	}
	return r.c.members
}

// After returns a copy of every event of the room after cursor, up to the
// row's cursor, oldest first, and whether the copy has them all (false if
// some were dropped from its ring, or came before the copy was made).
func (r Room) After(cursor int64) ([]protocol.Entry, bool) {
	if cursor+1 < r.c.cover {
		return nil, false
	}
	ring := r.c.ring
	i := len(ring)
	for i > 0 && ring[i-1].Cursor > cursor {
		i--
	}
	return protocol.Current(append([]protocol.Entry(nil), ring[i:]...)), true
}

// Messages returns a copy of the room's messages from cursor from on,
// at most the last n of them, and whether the copy has every message from
// there (false as for After).
func (r Room) Messages(from int64, n int) ([]protocol.Entry, bool) {
	if from < r.c.cover {
		return nil, false
	}
	// The messages in their current state: what changed them is in the
	// ring after them (see protocol.Current).
	start := len(r.c.ring)
	for start > 0 && r.c.ring[start-1].Cursor >= from {
		start--
	}
	current := protocol.Current(r.c.ring[start:])
	var out []protocol.Entry
	for i := len(current) - 1; i >= 0 && len(out) < n; i-- {
		if e := current[i]; e.Event.Type == codec.Message {
			out = append(out, e)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, true
}

// Copy calls fn with the hub's copy of room and returns true, or returns
// false without calling fn if the hub has none. fn runs under the hub
// partition's lock, which holds the tail's dispatch of the partition: it
// must be short, must not block and must not call the hub.
func (h *Hub) Copy(room string, fn func(Room)) bool {
	p := h.part(room)
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.copies[room]
	if c == nil {
		return false
	}
	fn(Room{c})
	return true
}

// Keep makes row the hub's copy of its room, with events, the room's
// events oldest first: every one with a cursor from cover up to
// row.Cursor. The hub takes ownership of row, and folds into it what the
// tail dispatched above row.Cursor since a subscription to the room began
// waiting for a copy (Subscribe). It keeps nothing and returns false when
// it has a copy already, or when the tail has dispatched an event above
// row.Cursor that it did not keep (before that wait began, or more than
// waitingEvents of them). From then on the
// tail folds every event of the room into the copy, until the room has no
// subscription for a while, or the tail misses events of its partition.
func (h *Hub) Keep(row *codec.RoomState, events []protocol.Entry, cover int64) bool {
	p := h.part(row.Room)
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.waiting[row.Room]
	delete(p.waiting, row.Room)
	if p.copies[row.Room] != nil {
		return false
	}
	c := &roomCopy{row: row, cover: min(cover, row.Cursor+1)}
	for _, e := range events {
		if e.Cursor >= c.cover && e.Cursor <= row.Cursor {
			c.push(e)
		}
	}
	if len(c.ring) == 0 {
		// Nothing is known below the row's cursor, so nothing is promised.
		c.cover = row.Cursor + 1
	}
	c.trim()
	// The events the tail dispatched while the join read the row: they
	// are all there if the row is no older than where the wait began.
	if sp, ok := p.seen[row.Room]; ok && sp.last > row.Cursor {
		if w == nil || row.Cursor < w.since {
			return false
		}
		for _, x := range w.events {
			c.apply(x.e, x.cursor)
		}
	}
	p.copies[row.Room] = c
	return true
}

// Copies returns how many rooms the hub keeps a copy of.
func (h *Hub) Copies() int {
	return h.count(func(p *hubPartition) int { return len(p.copies) })
}

// pruneCopies forgets the copies of rooms nobody followed for copyIdle
// before now, and the waits for copies of rooms nobody follows (a join
// that failed). Hub partition lock held.
func (p *hubPartition) pruneCopies(now time.Time) {
	for room := range p.waiting {
		if len(p.subs[room]) == 0 {
			delete(p.waiting, room)
		}
	}
	for room, c := range p.copies {
		if len(p.subs[room]) > 0 {
			c.idle = time.Time{}
			continue
		}
		if c.idle.IsZero() {
			c.idle = now
		} else if now.Sub(c.idle) >= copyIdle {
			delete(p.copies, room)
		}
	}
}

// Message returns the current state of the room's message id as the copy's
// ring has it (its text, author and deletion after the edits and deletes in
// the ring), its cursor, and whether the ring holds the message.
func (r Room) Message(id string) (*protocol.Change, int64, bool) {
	ring := r.c.ring
	for i := len(ring) - 1; i >= 0; i-- {
		if e := ring[i].Event; e.Type == codec.Message && e.ID == id {
			c := protocol.Changes(ring[i:])[id]
			if c == nil {
				c = &protocol.Change{User: e.User, Text: e.Text}
			}
			return c, ring[i].Cursor, true
		}
	}
	return nil, 0, false
}
