package server

import (
	"sync"

	"github.com/chatstate/chatstate/kafka"
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
	subs map[string]map[*subscription]struct{} // room → subscriptions
	seen map[string]span                       // room → cursors dispatched
}

// span is the first and the last cursor of a room the tail dispatched.
type span struct{ first, last int64 }

func newHub(partitions int) *hub {
	h := &hub{parts: make([]hubPartition, partitions), partitions: partitions}
	for i := range h.parts {
		h.parts[i].subs = map[string]map[*subscription]struct{}{}
		h.parts[i].seen = map[string]span{}
	}
	return h
}

func (h *hub) part(room string) *hubPartition {
	return &h.parts[kafka.Partition(room, h.partitions)]
}

// subscribe registers a buffering subscription of c to room and returns it
// with the last cursor of the room dispatched so far (-1 if none since the
// tail started).
func (h *hub) subscribe(c *conn, room string) (*subscription, int64) {
	s := &subscription{conn: c, room: room, until: -1}
	p := h.part(room)
	p.mu.Lock()
	defer p.mu.Unlock()
	set := p.subs[room]
	if set == nil {
		set = map[*subscription]struct{}{}
		p.subs[room] = set
	}
	set[s] = struct{}{}
	last, ok := p.seen[room]
	if !ok {
		return s, -1
	}
	return s, last.last
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
	if set := p.subs[s.room]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(p.subs, s.room)
		}
	}
}

// dispatch delivers the event frame of room at cursor to every subscription
// of the room; encode is called once, and only if there is one, and every
// connection queues that same frame. The tail calls dispatch in cursor order
// per partition.
func (h *hub) dispatch(room string, cursor int64, encode func() []byte) {
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
	var m *metrics
	for s := range set {
		done, ok := s.deliver(cursor, frame)
		if ok {
			queued++
			m = s.conn.srv.metrics
		}
		if done {
			delete(set, s)
		}
	}
	if len(set) == 0 {
		delete(p.subs, room)
	}
	// One atomic add per event rather than per delivery.
	if queued > 0 {
		m.deliveries.Add(float64(queued))
	}
}

// subscription is one connection's interest in one room.
type subscription struct {
	conn *conn
	room string

	mu     sync.Mutex
	live   bool
	floor  int64 // deliver only cursors above it, once live
	until  int64 // if ≥ 0: the subscription ends after this cursor (a leave)
	buffer []pending
}

type pending struct {
	cursor int64
	frame  []byte
}

// deliver hands one event to the subscription and reports whether the
// subscription is over and should be removed, and whether the frame was
// queued to the connection (a delivery). Hub partition lock held.
func (s *subscription) deliver(cursor int64, frame []byte) (done, queued bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.live {
		if len(s.buffer) >= s.conn.srv.cfg.QueueSize {
			s.conn.closeSlow()
			return true, false
		}
		s.buffer = append(s.buffer, pending{cursor, frame})
		return false, false
	}
	if s.until >= 0 && cursor > s.until {
		return true, false
	}
	if cursor > s.floor {
		queued = s.conn.enqueue(frame)
	}
	return s.until >= 0 && cursor >= s.until, queued
}

// goLive delivers what was buffered above floor, in order, and from then on
// delivers directly. The snapshot must have been queued before.
func (s *subscription) goLive(floor int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.floor = floor
	queued := 0
	for _, p := range s.buffer {
		if p.cursor > floor && s.conn.enqueue(p.frame) {
			queued++
		}
	}
	if queued > 0 {
		s.conn.srv.metrics.deliveries.Add(float64(queued))
	}
	s.buffer = nil
	s.live = true
}

// endAfter makes s deliver events up to and including cursor (the
// connection's own leave) and then end; at once if the tail is past it.
func (h *hub) endAfter(s *subscription, cursor int64) {
	p := h.part(s.room)
	p.mu.Lock()
	defer p.mu.Unlock()
	if sp, ok := p.seen[s.room]; ok && sp.last >= cursor {
		if set := p.subs[s.room]; set != nil {
			delete(set, s)
		}
		return
	}
	s.mu.Lock()
	s.until = cursor
	s.mu.Unlock()
}
