package main

import (
	"encoding/json"
	"sort"
	"strconv"
	"sync"
	"time"
)

// hub holds the rooms and the connections. One mutex guards all of it:
// joins, leaves and publishes take it, give every event its cursor, keep it
// in the room's ring and queue its frame to the members without blocking,
// so that each member receives a room's events in cursor order.
type hub struct {
	ring, queue int
	apiKey      string
	epoch       string
	presence    bool   // joins and leaves are events of the room, as in chatstate
	relay       *relay // nil: HTTP publishes are fanned out at once

	mu      sync.Mutex
	rooms   map[string]*room
	conns   map[*conn]struct{}
	nextID  int64
	closing bool // shutdown began: no new connections

	wg sync.WaitGroup // the connections' handlers
}

// room is one room's members and its last events. hub.mu guards it.
type room struct {
	name     string
	cursor   int64 // the cursor of the last event; -1 before the first
	messages int64
	members  map[*conn]struct{}
	sessions map[string]int // connections per user, for the members list
	ring     []entry        // the last events, oldest at ring[head] once full
	head     int
}

// entry is one event of a room at its cursor, as snapshots list it.
type entry struct {
	Cursor int64           `json:"cursor"`
	Event  json.RawMessage `json:"event"`
}

// event is an event as clients see it (chatstate's EVENT).
type event struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Room string `json:"room"`
	User string `json:"user"`
	TS   string `json:"ts"`
	Text string `json:"text,omitempty"`
}

type eventFrame struct {
	Op     string          `json:"op"`
	Room   string          `json:"room"`
	Cursor int64           `json:"cursor"`
	Event  json.RawMessage `json:"event"`
}

type member struct {
	User     string `json:"user"`
	Sessions int    `json:"sessions"`
}

type snapshotFrame struct {
	Op        string          `json:"op"`
	Ref       json.RawMessage `json:"ref,omitempty"`
	Room      string          `json:"room"`
	Cursor    int64           `json:"cursor"`
	Epoch     string          `json:"epoch"`
	Members   []member        `json:"members"`
	Messages  int64           `json:"messages"`
	Events    []entry         `json:"events"`
	Resumed   bool            `json:"resumed"`
	Truncated bool            `json:"truncated"`
}

func newHub(ring, queue int, apiKey string, presence bool) *hub {
	return &hub{ring: ring, queue: queue, apiKey: apiKey, presence: presence,
		epoch: "barehub-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		rooms: map[string]*room{}, conns: map[*conn]struct{}{}}
}

// roomLocked returns the room, made on first use. h.mu held.
func (h *hub) roomLocked(name string) *room {
	r := h.rooms[name]
	if r == nil {
		r = &room{name: name, cursor: -1, members: map[*conn]struct{}{}, sessions: map[string]int{}}
		h.rooms[name] = r
	}
	return r
}

// appendLocked gives a new event of r its cursor, keeps it in the ring and
// queues its frame to every member. h.mu held.
func (h *hub) appendLocked(r *room, typ, user, text string) int64 {
	r.cursor++
	h.nextID++
	if typ == "message" {
		r.messages++
	}
	ev, _ := json.Marshal(event{ID: strconv.FormatInt(h.nextID, 36), Type: typ, Room: r.name, User: user,
		TS: time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"), Text: text})
	e := entry{Cursor: r.cursor, Event: ev}
	if len(r.ring) < h.ring {
		r.ring = append(r.ring, e)
	} else {
		r.ring[r.head] = e
		r.head = (r.head + 1) % len(r.ring)
	}
	frame, _ := json.Marshal(eventFrame{Op: "event", Room: r.name, Cursor: r.cursor, Event: ev})
	for c := range r.members {
		c.enqueueLocked(frame)
	}
	return r.cursor
}

// entriesLocked returns the ring's events oldest first. h.mu held.
func (r *room) entriesLocked() []entry {
	out := make([]entry, 0, len(r.ring))
	out = append(out, r.ring[r.head:]...)
	return append(out, r.ring[:r.head]...)
}

// snapshotLocked answers a join of r at its current cursor: with after,
// every event after it that the ring still holds; without, the last
// history messages. h.mu held.
func (h *hub) snapshotLocked(r *room, ref json.RawMessage, after *int64, history int) snapshotFrame {
	s := snapshotFrame{Op: "snapshot", Ref: ref, Room: r.name, Cursor: r.cursor, Epoch: h.epoch,
		Members: make([]member, 0, len(r.sessions)), Messages: r.messages, Events: []entry{}}
	for u, n := range r.sessions {
		s.Members = append(s.Members, member{User: u, Sessions: n})
	}
	sort.Slice(s.Members, func(i, j int) bool { return s.Members[i].User < s.Members[j].User })
	all := r.entriesLocked()
	if after != nil && *after <= r.cursor {
		for _, e := range all {
			if e.Cursor > *after {
				s.Events = append(s.Events, e)
			}
		}
		// The ring lost events the client has not seen.
		s.Truncated = len(all) > 0 && all[0].Cursor > *after+1
		s.Resumed = !s.Truncated
		return s
	}
	for i := len(all) - 1; i >= 0 && len(s.Events) < history; i-- {
		var ev event
		if json.Unmarshal(all[i].Event, &ev) == nil && ev.Type == "message" {
			s.Events = append(s.Events, all[i])
		}
	}
	for i, j := 0, len(s.Events)-1; i < j; i, j = i+1, j-1 {
		s.Events[i], s.Events[j] = s.Events[j], s.Events[i]
	}
	return s
}

// join answers c's join of name with a snapshot, then (with presence)
// writes c's join event, which c receives too. A second join of a room c is in answers a
// fresh snapshot and writes nothing.
func (h *hub) join(c *conn, name string, ref json.RawMessage, after *int64, history int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.roomLocked(name)
	_, member := r.members[c]
	snap, _ := json.Marshal(h.snapshotLocked(r, ref, after, history))
	c.enqueueLocked(snap)
	if member {
		return
	}
	r.members[c] = struct{}{}
	r.sessions[c.user]++
	c.rooms[name] = struct{}{}
	if h.presence {
		h.appendLocked(r, "join", c.user, "")
	}
}

// leaveLocked takes c out of r and (with presence) writes its leave,
// which c receives too; it returns the room's cursor after. h.mu held.
func (h *hub) leaveLocked(c *conn, r *room) int64 {
	cur := r.cursor
	if h.presence {
		cur = h.appendLocked(r, "leave", c.user, "")
	}
	delete(r.members, c)
	delete(c.rooms, r.name)
	if r.sessions[c.user]--; r.sessions[c.user] <= 0 {
		delete(r.sessions, c.user)
	}
	return cur
}

// leave takes c out of name; ok is false if c was not a member.
func (h *hub) leave(c *conn, name string) (cursor int64, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[name]
	if r == nil {
		return 0, false
	}
	if _, in := r.members[c]; !in {
		return 0, false
	}
	return h.leaveLocked(c, r), true
}

// publish writes a message of user to name and returns its cursor. With c,
// c must be a member (ok false otherwise) and its ack is queued right
// after the event, under the same lock.
func (h *hub) publish(c *conn, name, user, text string, ref json.RawMessage) (cursor int64, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c != nil {
		if _, in := c.rooms[name]; !in {
			return 0, false
		}
	}
	cursor = h.appendLocked(h.roomLocked(name), "message", user, text)
	if c != nil {
		ack, _ := json.Marshal(struct {
			Op     string          `json:"op"`
			Ref    json.RawMessage `json:"ref"`
			Room   string          `json:"room"`
			Cursor int64           `json:"cursor"`
		}{"ack", ref, name, cursor})
		c.enqueueLocked(ack)
	}
	return cursor, true
}

// register adds c; false once shutdown began. A registered connection's
// handler calls h.wg.Done when it ends.
func (h *hub) register(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.conns[c] = struct{}{}
	h.wg.Add(1) // under mu, so that it comes before shutdown's Wait
	return true
}

// unregister takes c out of every room, writing its leaves, and closes its
// queue.
func (h *hub) unregister(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name := range c.rooms {
		h.leaveLocked(c, h.rooms[name])
	}
	delete(h.conns, c)
	c.closeLocked(0, "")
}

// shutdown closes every connection with 1001 and waits for their handlers.
func (h *hub) shutdown() {
	h.mu.Lock()
	h.closing = true
	for c := range h.conns {
		c.closeLocked(1001, "server shutting down")
	}
	h.mu.Unlock()
	h.wg.Wait()
}
