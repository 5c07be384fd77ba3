package server

import (
	"context"
	"sync"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/server/protocol"
)

// invited tells the invited user's sessions on this server of an invite
// the tail dispatched (an invite, or the one that opens a direct room).
// Every server's tail reads every invite, so each tells its own sessions.
// checked is the hub's word that the room's rules allow it (the hub keeps
// a copy of the room); otherwise a record of another producer may break
// them, and the invite waits for inviteLoop to check it at its cursor.
// Called by the hub under its locks: it does not block.
func (s *Server) invited(e *codec.Event, cursor int64, checked bool) {
	if checked {
		s.tellInvited(e)
		return
	}
	if s.local.has(e.Target) { // no session here, nothing to tell or check
		s.invites.add(*e, cursor)
	}
}

func (s *Server) tellInvited(e *codec.Event) {
	s.local.send(e.Target, protocol.MustJSON(protocol.InvitedFrame{Op: "invited", Room: e.Room, By: e.User}))
}

// inviteLoop checks the invites of rooms this server keeps no copy of, in
// the order the tail dispatched them, until ctx is done: each against the
// room's row at the cursor before it (roomAt: the view, brought forward
// from the log), with the fold's own check, so that an invite the rules
// refuse, which the fold sent to the dead letters, tells nobody. Where the
// row cannot be read (Kafka or the view unavailable), the invite is told
// unchecked: a lost invitation is worse than a notice of one forged by
// another producer, on which the fold lets nobody join anyway.
func (s *Server) inviteLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.invites.wake:
		}
		for _, p := range s.invites.take() {
			s.checkInvite(ctx, p)
		}
	}
}

func (s *Server) checkInvite(ctx context.Context, p pendingInvite) {
	rctx, cancel := context.WithTimeout(ctx, s.cfg.ReadTimeout)
	defer cancel()
	row, err := s.roomAt(rctx, p.e.Room, p.cursor-1)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		s.cfg.Logger.Warn("invite told without checking the room's rules", "room", p.e.Room, "cursor", p.cursor, "err", err)
		s.tellInvited(&p.e)
		return
	}
	if err := processors.Check(row, &p.e); err != nil {
		s.cfg.Logger.Debug("invite refused by the room's rules: not told", "room", p.e.Room, "cursor", p.cursor, "reason", err)
		return
	}
	s.tellInvited(&p.e)
}

// inviteChecks is the queue of invites waiting for inviteLoop: unbounded,
// since the hub must not block and invites are few (each of another
// room's writer, for a user with a session here). Safe for concurrent use.
type inviteChecks struct {
	mu      sync.Mutex
	pending []pendingInvite
	wake    chan struct{} // capacity 1: something was added since the last take
}

// pendingInvite is an invite event and its cursor.
type pendingInvite struct {
	e      codec.Event
	cursor int64
}

func newInviteChecks() *inviteChecks { return &inviteChecks{wake: make(chan struct{}, 1)} }

// add queues a copy of an invite; it never blocks.
func (q *inviteChecks) add(e codec.Event, cursor int64) {
	q.mu.Lock()
	q.pending = append(q.pending, pendingInvite{e: e, cursor: cursor})
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take returns what is queued, oldest first, and empties the queue.
func (q *inviteChecks) take() []pendingInvite {
	q.mu.Lock()
	defer q.mu.Unlock()
	p := q.pending
	q.pending = nil
	return p
}
