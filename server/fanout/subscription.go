package fanout

import (
	"sync"

	"github.com/chatstate/chatstate/server/protocol"
)

// Subscription is one connection's interest in one room. It ends after the
// connection's own leave of the room (the first one after since), so that
// nothing of the room follows it, however the leave and the tail race. Its
// methods are safe for concurrent use.
type Subscription struct {
	hub   *Hub
	conn  Subscriber
	later LaterEnqueuer // conn, if it is one
	// user and session are conn's, kept here: the dispatch of every event
	// asks every member for them, and asking the connection cost a cache
	// miss each (2 % of the server's CPU at 50,000 deliveries a second).
	user, session string
	room          string

	mu     sync.Mutex
	live   bool
	floor  int64 // deliver only cursors above it, once live
	since  int64 // the cursor of the session's join: a leave after it ends the subscription
	last   int64 // the last cursor queued to the connection, -1 if none
	ended  bool  // removed from the hub: the connection's own leave was delivered, or it unsubscribed
	buffer []pending
	// unreadOnJoin: the join's snapshot knew no read state of the user,
	// whose marker is then where their first join is, at or before this
	// session's: the unread frame follows the session's own join event,
	// folded into the hub's copy.
	unreadOnJoin bool
}

type pending struct {
	cursor int64
	end    ender
	frame  []byte
	extra  []byte // the unread frame that follows frame, if any
}

// ender names whose subscriptions an event ends, after delivering it to
// them: a leave's session, or every session of a kicked or banned user.
type ender struct{ session, user string }

// ends reports whether the event ends the subscription of the session of
// user.
func (e ender) ends(session, user string) bool {
	return e.session != "" && e.session == session || e.user != "" && e.user == user
}

// deliver hands one event to the subscription, with the unread frame that
// follows it if extra is not nil, and reports whether the subscription is
// over and should be removed, and whether the frame was queued to the
// connection (a delivery). presence names the session whose join, leave or
// expiry the event is, if it is one. Hub partition lock held.
func (s *Subscription) deliver(cursor int64, end ender, presence string, frame, extra []byte) (done, queued bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.live {
		if len(s.buffer) >= s.hub.bufferSize {
			s.conn.Close(protocol.CloseSlowClient, "client too slow: its queue is full")
			return true, false
		}
		s.buffer = append(s.buffer, pending{cursor, end, frame, extra})
		return false, false
	}
	return s.deliverLocked(cursor, end, frame, extra, presence != "" && presence != s.session)
}

// deliverLocked queues what is above the floor, later if it may wait (see
// LaterEnqueuer), and reports whether this was the session's own leave, or
// its user's kick or ban. s.mu held.
func (s *Subscription) deliverLocked(cursor int64, end ender, frame, extra []byte, later bool) (done, queued bool) {
	if cursor > s.floor {
		if later && extra == nil && s.later != nil {
			queued = s.later.EnqueueLater(frame)
		} else if queued = s.conn.Enqueue(frame); queued && extra != nil {
			s.conn.Enqueue(extra)
		}
		s.last = cursor
	}
	return end.ends(s.session, s.user) && cursor > s.since, queued
}

// UnreadOnJoin makes the subscription's user be told their read state
// right after the session's own join event: for a join whose snapshot
// predates the user's first join of the room.
func (s *Subscription) UnreadOnJoin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unreadOnJoin = true
}

// takeUnreadOnJoin reports whether UnreadOnJoin was called, once. Hub
// partition lock held.
func (s *Subscription) takeUnreadOnJoin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.unreadOnJoin
	s.unreadOnJoin = false
	return t
}

// pause makes the subscription buffer what is dispatched until the next
// GoLive: a join of a room the connection has a subscription to already.
// Hub partition lock held.
func (s *Subscription) pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live = false
	s.buffer = nil
}

// Joined records the cursor of the session's join, written for this
// subscription: only a leave after it ends it.
func (s *Subscription) Joined(cursor int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.since = cursor
}

// GoLive delivers what was buffered above floor, in order, and from then on
// delivers directly; the snapshot must have been queued before. To resume a
// paused subscription where it was (a join that failed), floor is
// ResumeFloor's. It reports whether a buffered event was the connection's
// own leave, which ends the subscription: then the caller unsubscribes it.
func (s *Subscription) GoLive(floor int64) (ended bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.floor = floor
	queued := 0
	for _, p := range s.buffer {
		done, ok := s.deliverLocked(p.cursor, p.end, p.frame, p.extra, false)
		if ok {
			queued++
		}
		if done {
			ended = true
			break
		}
	}
	if queued > 0 {
		s.hub.deliveries.Add(float64(queued))
	}
	s.buffer = nil
	s.live = !ended
	return ended
}

// ResumeFloor is the floor that resumes a paused subscription without a gap
// or a repeat: the last cursor the connection was given.
func (s *Subscription) ResumeFloor() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return max(s.last, s.floor)
}

// end marks the subscription removed from the hub. Hub partition lock held.
func (s *Subscription) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	s.buffer = nil
}

// Ended reports whether the subscription was removed from the hub: its
// session's own leave was delivered, or it was unsubscribed.
func (s *Subscription) Ended() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}
