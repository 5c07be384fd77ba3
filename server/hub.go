package server

import (
	"sync"

	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server/ops"
)

// hub fans events of the tail out to the subscriptions of their room. It
// keeps, per partition, the subscriptions of each room and the last cursor of
// each room it dispatched, so that a join knows how far the live stream has
// gone. Dispatch never blocks: a subscription that cannot keep up closes its
// connection.
type hub struct {
	parts      []hubPartition
	partitions int
}

type hubPartition struct {
	mu   sync.Mutex
	subs map[string]map[*conn]*subscription // room → each connection's subscription
	seen map[string]span                    // room → cursors dispatched
}

// span is the first and the last cursor of a room the tail dispatched.
type span struct{ first, last int64 }

func newHub(partitions int) *hub {
	h := &hub{parts: make([]hubPartition, partitions), partitions: partitions}
	for i := range h.parts {
		h.parts[i].subs = map[string]map[*conn]*subscription{}
		h.parts[i].seen = map[string]span{}
	}
	return h
}

func (h *hub) part(room string) *hubPartition {
	return &h.parts[kafka.Partition(room, h.partitions)]
}

// subscribe returns c's subscription to room, paused: it buffers what is
// dispatched until goLive. It is new, or the one c already has (a member's,
// or a room left whose own leave is still to come), and then existed is
// true. last is the last cursor of the room dispatched so far (-1 if none
// since the tail started).
func (h *hub) subscribe(c *conn, room string) (s *subscription, last int64, existed bool) {
	p := h.part(room)
	p.mu.Lock()
	defer p.mu.Unlock()
	set := p.subs[room]
	if set == nil {
		set = map[*conn]*subscription{}
		p.subs[room] = set
	}
	if s = set[c]; s != nil {
		s.pause()
		existed = true
	} else {
		s = &subscription{conn: c, room: room, since: -1, last: -1}
		set[c] = s
	}
	if sp, ok := p.seen[room]; ok {
		return s, sp.last, existed
	}
	return s, -1, existed
}

// seen returns the first and the last cursor of room dispatched since the
// tail started, or -1, -1 if none was. The tail starts where the rooms
// processors had folded everything before it (see Server.Run), so a room
// the rooms view does not know has no event before first.
func (h *hub) seen(room string) (first, last int64) {
	p := h.part(room)
	p.mu.Lock()
	defer p.mu.Unlock()
	if sp, ok := p.seen[room]; ok {
		return sp.first, sp.last
	}
	return -1, -1
}

// unsubscribe removes s; it is idempotent.
func (h *hub) unsubscribe(s *subscription) {
	p := h.part(s.room)
	p.mu.Lock()
	defer p.mu.Unlock()
	if set := p.subs[s.room]; set != nil && set[s.conn] == s {
		delete(set, s.conn)
		if len(set) == 0 {
			delete(p.subs, s.room)
		}
	}
	s.end()
}

// dispatch delivers the event frame of room at cursor to every subscription
// of the room; encode is called once, and only if there is one, and every
// connection queues that same frame. leaver is the session of a leave event,
// "" for other events: that session's subscription ends with it. The tail
// calls dispatch in cursor order per partition.
func (h *hub) dispatch(room string, cursor int64, leaver string, encode func() []byte) {
	p := h.part(room)
	p.mu.Lock()
	defer p.mu.Unlock()
	sp, ok := p.seen[room]
	if !ok {
		sp.first = cursor
	}
	sp.last = cursor
	p.seen[room] = sp
	set := p.subs[room]
	if len(set) == 0 {
		return
	}
	frame := encode()
	queued := 0
	var m *ops.Metrics
	for c, s := range set {
		done, ok := s.deliver(cursor, leaver, frame)
		if ok {
			queued++
			m = c.srv.metrics
		}
		if done {
			delete(set, c)
			s.end()
		}
	}
	if len(set) == 0 {
		delete(p.subs, room)
	}
	// One atomic add per event rather than per delivery.
	if queued > 0 {
		m.Deliveries.Add(float64(queued))
	}
}

// subscription is one connection's interest in one room. It ends after the
// connection's own leave of the room (the first one after since), so that
// nothing of the room follows it, however the leave and the tail race.
type subscription struct {
	conn *conn
	room string

	mu     sync.Mutex
	live   bool
	floor  int64 // deliver only cursors above it, once live
	since  int64 // the cursor of the session's join: a leave after it ends the subscription
	last   int64 // the last cursor queued to the connection, -1 if none
	ended  bool  // removed from the hub: the connection's own leave was delivered, or it unsubscribed
	buffer []pending
}

type pending struct {
	cursor int64
	leaver string
	frame  []byte
}

// deliver hands one event to the subscription and reports whether the
// subscription is over and should be removed, and whether the frame was
// queued to the connection (a delivery). Hub partition lock held.
func (s *subscription) deliver(cursor int64, leaver string, frame []byte) (done, queued bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.live {
		if len(s.buffer) >= s.conn.srv.cfg.QueueSize {
			s.conn.closeSlow()
			return true, false
		}
		s.buffer = append(s.buffer, pending{cursor, leaver, frame})
		return false, false
	}
	return s.deliverLocked(cursor, leaver, frame)
}

// deliverLocked queues what is above the floor and reports whether this was
// the session's own leave. s.mu held.
func (s *subscription) deliverLocked(cursor int64, leaver string, frame []byte) (done, queued bool) {
	if cursor > s.floor {
		queued = s.conn.enqueue(frame)
		s.last = cursor
	}
	return leaver == s.conn.session && cursor > s.since, queued
}

// pause makes the subscription buffer what is dispatched until the next
// goLive: a join of a room the connection has a subscription to already.
// Hub partition lock held.
func (s *subscription) pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live = false
	s.buffer = nil
}

// joined records the cursor of the session's join, written for this
// subscription: only a leave after it ends it.
func (s *subscription) joined(cursor int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.since = cursor
}

// goLive delivers what was buffered above floor, in order, and from then on
// delivers directly; the snapshot must have been queued before. To resume a
// paused subscription where it was (a join that failed), floor is
// resumeFloor's. It reports whether a buffered event was the connection's
// own leave, which ends the subscription: then the caller unsubscribes it.
func (s *subscription) goLive(floor int64) (ended bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.floor = floor
	queued := 0
	for _, p := range s.buffer {
		done, ok := s.deliverLocked(p.cursor, p.leaver, p.frame)
		if ok {
			queued++
		}
		if done {
			ended = true
			break
		}
	}
	if queued > 0 {
		s.conn.srv.metrics.Deliveries.Add(float64(queued))
	}
	s.buffer = nil
	s.live = !ended
	return ended
}

// resumeFloor is the floor that resumes a paused subscription without a gap
// or a repeat: the last cursor the connection was given.
func (s *subscription) resumeFloor() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return max(s.last, s.floor)
}

// end marks the subscription removed from the hub. Hub partition lock held.
func (s *subscription) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	s.buffer = nil
}

// isEnded reports whether the subscription was removed from the hub.
func (s *subscription) isEnded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}
