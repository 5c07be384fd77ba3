package fanout

import "github.com/chatstate/chatstate/codec"

// "unread" goes to every session of the user, and a session that did not
// join the room has no subscription to carry it: the hub hands such
// sessions their frames through the server's Locals, for the rooms it keeps
// a copy of.

// Locals are the server's connections by user, as the hub asks about them
// for the unread frames of sessions that did not join a room. The hub calls
// them under its partition's lock: they must not block or call the hub.
type Locals interface {
	// Generation changes whenever a connection is added or removed; it is
	// read before the connections it speaks of.
	Generation() uint64
	// Outside reports whether user has a connection here for which
	// subscribed is false.
	Outside(user string, subscribed func(Subscriber) bool) bool
	// Send queues frame to each connection of user for which subscribed
	// is false.
	Send(user string, subscribed func(Subscriber) bool, frame []byte)
}

// SetLocals makes the hub send the unread frames of the rooms it keeps a
// copy of to the sessions of their users that did not join the room here,
// while the user is a member of it. Call it before the tail starts.
func (h *Hub) SetLocals(l Locals) { h.locals = l }

// tellElsewhere sends u's frames to the sessions of their users here that
// hold no subscription in set, for each user whose read state the event
// changed and who is a member of the room. A message changes every
// reader's: only the room's outsiders are asked about.
func (h *Hub) tellElsewhere(p *hubPartition, c *roomCopy, u *unreadFrames, set map[Subscriber]*Subscription) {
	subscribed := func(s Subscriber) bool { return set[s] != nil }
	send := func(user string) {
		if len(u.row.Members[user]) == 0 {
			return
		}
		if f := u.encode(user); f != nil {
			h.locals.Send(user, subscribed, f)
		}
	}
	switch u.e.Type {
	case codec.Message:
		for _, user := range c.outsiders(h.locals, p.subGen, subscribed) {
			if user != u.e.User {
				send(user)
			}
		}
	case codec.Read, codec.Join:
		send(u.e.User)
	case codec.Edit, codec.Delete:
		for _, user := range u.remention {
			send(user)
		}
	}
}

// outsiders returns the members of the room with read state who hold a
// connection here outside the room's subscriptions. It asks Locals about
// every reader only when a connection came or went, a subscription of the
// partition began or ended, or an event other than a message changed the
// row since it last asked (apply clears outsideOK), and otherwise returns
// what it found then: a message asks nothing.
func (c *roomCopy) outsiders(l Locals, subGen uint64, subscribed func(Subscriber) bool) []string {
	at := [2]uint64{l.Generation(), subGen}
	if c.outsideOK && c.outsideAt == at {
		return c.outside
	}
	c.outside = c.outside[:0]
	for user := range c.row.Reads {
		if len(c.row.Members[user]) > 0 && l.Outside(user, subscribed) {
			c.outside = append(c.outside, user)
		}
	}
	c.outsideAt, c.outsideOK = at, true
	return c.outside
}
