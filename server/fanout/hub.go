package fanout

import (
	"sync"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/prometheus/client_golang/prometheus"
)

// Subscriber is what the hub delivers to: one session's connection. The
// hub calls its methods under its own locks (see the package doc), so
// none of them may block or call back into the hub.
type Subscriber interface {
	// Enqueue queues an event frame and reports whether it did; a
	// subscriber that cannot keep up closes itself and returns false.
	// frame is shared by every subscriber of the room: read only.
	Enqueue(frame []byte) bool
	// Session returns the session id, as leave events name it.
	Session() string
	// User returns the user the session speaks for: a read event goes to
	// that user's sessions only, and unread frames are the user's.
	User() string
	// Close closes the connection with a WebSocket close code and reason.
	Close(code int, reason string)
}

// LaterEnqueuer is what a Subscriber also implements to queue a frame that
// may wait a little for others (transport.Conn.EnqueueLater). The hub
// queues so the joins, leaves and expiries of other sessions: in a room
// of a hundred where members come and go, each member gets such an event
// every few tens of milliseconds, and a write of its own for each cost
// more than all else a join does; a message, and anything that answers
// the session's own doing, is queued at once, and takes along what waits.
type LaterEnqueuer interface {
	EnqueueLater(frame []byte) bool
}

// Hub fans events of the tail out to the subscriptions of their room. It
// keeps, per partition, the subscriptions of each room and the last cursor of
// each room it dispatched, so that a join knows how far the live stream has
// gone. Dispatch never blocks: a subscription that cannot keep up closes its
// connection. Its methods are safe for concurrent use.
type Hub struct {
	parts      []hubPartition
	partitions int
	// bufferSize bounds the events a paused subscription buffers.
	bufferSize int
	// deliveries counts the event frames queued to subscribers.
	deliveries prometheus.Counter
	// notify, if set, is told of every invite the tail dispatches (see
	// SetNotify).
	notify func(e *codec.Event, cursor int64, checked bool)
	// locals, if set, are the server's connections, for the unread
	// frames of sessions that did not join the room (see SetLocals).
	locals Locals
}

// Remover is what a Subscriber also implements to be told that the rules
// of a room removed its session (its user was kicked or banned): after its
// own kick or ban event, the hub ended its subscription. Removed is called
// under the hub's locks, like the Subscriber's methods: it must not block
// or call back into the hub.
type Remover interface {
	Removed(room string)
}

// SetNotify makes the hub call fn with every invite event it dispatches
// (and its cursor) that the room's rules do not refuse as far as the hub
// knows, whether or not the room has a subscription here: the invited user
// may have sessions on this server in other rooms. checked is true when the
// hub keeps a copy of the room and its rules allowed the invite; false when
// it keeps none and so could not tell (the caller checks). fn runs under
// the hub partition's lock: it must not block or call the hub. Call it
// before the tail starts.
func (h *Hub) SetNotify(fn func(e *codec.Event, cursor int64, checked bool)) { h.notify = fn }

type hubPartition struct {
	mu   sync.Mutex
	subs map[string]map[Subscriber]*Subscription // room → each connection's subscription
	seen map[string]span                         // room → cursors dispatched
	// copies are the rooms this server serves, kept current by Dispatch
	// (see copies.go).
	copies map[string]*roomCopy
	// waiting holds the events of rooms a join is making a copy of,
	// dispatched since the join subscribed (see waiting.go).
	waiting map[string]*waitingCopy
	// subGen counts the subscriptions begun and ended, for the copies'
	// outsiders (see elsewhere.go).
	subGen uint64
}

// span is the first and the last cursor of a room the tail dispatched.
type span struct{ first, last int64 }

// NewHub returns the hub of a topic of partitions partitions. A paused
// subscription (a join whose snapshot is on its way) buffers at most
// bufferSize events; one more closes its connection with 4008. deliveries
// counts the frames queued to subscribers.
func NewHub(partitions, bufferSize int, deliveries prometheus.Counter) *Hub {
	h := &Hub{parts: make([]hubPartition, partitions), partitions: partitions, bufferSize: bufferSize, deliveries: deliveries}
	for i := range h.parts {
		h.parts[i].subs = map[string]map[Subscriber]*Subscription{}
		h.parts[i].seen = map[string]span{}
		h.parts[i].copies = map[string]*roomCopy{}
		h.parts[i].waiting = map[string]*waitingCopy{}
	}
	return h
}

func (h *Hub) part(room string) *hubPartition {
	return &h.parts[kafka.Partition(room, h.partitions)]
}

// Subscribe returns c's subscription to room, paused: it buffers what is
// dispatched until GoLive. It is new, or the one c already has (a member's,
// or a room left whose own leave is still to come), and then existed is
// true. last is the last cursor of the room dispatched so far (-1 if none
// since the tail started).
func (h *Hub) Subscribe(c Subscriber, room string) (s *Subscription, last int64, existed bool) {
	p := h.part(room)
	p.mu.Lock()
	defer p.mu.Unlock()
	set := p.subs[room]
	if set == nil {
		set = map[Subscriber]*Subscription{}
		p.subs[room] = set
	}
	if s = set[c]; s != nil {
		s.pause()
		existed = true
	} else {
		p.subGen++
		s = &Subscription{hub: h, conn: c, user: c.User(), session: c.Session(), room: room, since: -1, last: -1}
		if l, ok := c.(LaterEnqueuer); ok {
			s.later = l
		}
		set[c] = s
	}
	last = -1
	if sp, ok := p.seen[room]; ok {
		last = sp.last
	}
	p.expectCopy(room, last)
	return s, last, existed
}

// Seen returns the first and the last cursor of room dispatched since the
// tail started, or -1, -1 if none was. The tail starts where the rooms
// processors had folded everything before it (the server sees to it), so a
// room the rooms view does not know has no event before first.
func (h *Hub) Seen(room string) (first, last int64) {
	p := h.part(room)
	p.mu.Lock()
	defer p.mu.Unlock()
	if sp, ok := p.seen[room]; ok {
		return sp.first, sp.last
	}
	return -1, -1
}

// Unsubscribe removes s; it is idempotent.
func (h *Hub) Unsubscribe(s *Subscription) {
	p := h.part(s.room)
	p.mu.Lock()
	defer p.mu.Unlock()
	if set := p.subs[s.room]; set != nil && set[s.conn] == s {
		p.subGen++
		delete(set, s.conn)
		if len(set) == 0 {
			delete(p.subs, s.room)
		}
	}
	s.end()
}

// Dispatch delivers the event e at cursor to every subscription of its
// room, after folding it into the hub's copy of the room if it keeps one;
// encode is called once, and only if there is a subscription, and every
// connection queues that same frame. A leave event ends its session's
// subscription. The tail calls Dispatch in cursor order per partition;
// encode is called under the hub partition's lock.
func (h *Hub) Dispatch(e *codec.Event, cursor int64, encode func() []byte) {
	room := e.Room
	var end ender
	switch {
	case e.Type == codec.Leave:
		end.session = e.Session
	case e.Type == codec.Kick || e.Type == codec.Ban && e.On:
		end.user = e.Target
	}
	// The session whose join, leave or expiry this is: its other members
	// may get the event a little later (LaterEnqueuer).
	var presence string
	if e.Type == codec.Join || e.Type == codec.Leave || e.Type == codec.Expire {
		presence = e.Session
	}
	p := h.part(room)
	p.mu.Lock()
	defer p.mu.Unlock()
	var unread *unreadFrames
	refused, checked := false, false
	cp := p.copies[room]
	if cp != nil {
		before, found := mentionedBefore(cp.row, e)
		refused, checked = cp.apply(e, cursor), true
		unread = unreadOf(cp.row, e, before, found)
	} else if w := p.waiting[room]; w != nil {
		w.add(e, cursor)
		if w.full() {
			delete(p.waiting, room)
		}
	}
	sp, ok := p.seen[room]
	if !ok {
		sp.first = cursor
	}
	sp.last = cursor
	p.seen[room] = sp
	if refused {
		// Another producer's record that breaks the room's rules: it
		// changed nothing, and no client is shown it.
		return
	}
	if e.Type == codec.Invite && h.notify != nil {
		h.notify(e, cursor, checked)
	}
	set := p.subs[room]
	if unread != nil && h.locals != nil {
		// The sessions that joined the room here get theirs below.
		h.tellElsewhere(p, cp, unread, set)
	}
	if len(set) == 0 {
		return
	}
	frame := encode()
	queued := 0
	for c, s := range set {
		if e.Type == codec.Read && s.user != e.User {
			continue // a read marker is its user's own business
		}
		done, ok := s.deliver(cursor, end, presence, frame, unread.forSubscription(s.user, s.session, s))
		if ok {
			queued++
		}
		if done {
			p.subGen++
			delete(set, c)
			s.end()
			if r, ok := c.(Remover); ok && end.user != "" {
				r.Removed(room)
			}
		}
	}
	if len(set) == 0 {
		delete(p.subs, room)
	}
	// One atomic add per event rather than per delivery.
	if queued > 0 {
		h.deliveries.Add(float64(queued))
	}
}
