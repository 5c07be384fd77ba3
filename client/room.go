package client

import (
	"context"
	"slices"
	"strings"
	"time"
)

// JoinOptions configure a join.
type JoinOptions struct {
	// History is how many messages the snapshot carries; default
	// Options.History.
	History int
}

// Room is a room the client joined. Its methods are safe for concurrent
// use. A room ends when it is left, when a rejoin is refused for good, or
// when the client closes; join the name again for a new Room.
type Room struct {
	c       *Client
	name    string
	history int
	out     chan Update
	wake    chan struct{}
	joined  chan struct{} // closed at the first snapshot or the end

	// Guarded by c.mu.
	synced  bool   // a snapshot came: cursor, epoch and members are known
	resume  bool   // the first join resumes from a stored position
	joinRef uint64 // the join in flight; events wait for its snapshot
	stale   bool   // a rejoin is due; events are ignored until its snapshot
	// retryAt is when a rejoin refused for now is sent again on the live
	// connection (zero: none waits); retries counts the refusals since
	// the room's last snapshot, for the backoff.
	retryAt time.Time
	retries int
	leaving bool
	ended   bool
	err     error
	snap    *Snapshot
	cursor  int64
	epoch   string
	members map[string]int
	msgs    int64
	queue   []queued
	unread  *Unread // the latest unread frame of the room, nil before the first
}

// Name returns the room's name.
func (r *Room) Name() string { return r.name }

// Updates returns the room's stream: every event after the join's
// snapshot, each once and in cursor order, across reconnects, with a
// ResetUpdate or GapUpdate where the stream could not go on seamlessly.
// It is closed when the room ends: after the own leave event once Leave
// was called, or at once (dropping what was not received) on Close. The
// application should receive from it steadily; see the package doc,
// Backpressure.
func (r *Room) Updates() <-chan Update { return r.out }

// Snapshot returns the snapshot of the join, or of the latest
// ResetUpdate. Its Events are the room's recent history; do not modify it.
func (r *Room) Snapshot() *Snapshot {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.snap
}

// Members returns the room's members, sorted by user, as of the newest
// event received, which may be ahead of what Updates has handed over.
func (r *Room) Members() []Member {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	out := make([]Member, 0, len(r.members))
	for u, n := range r.members {
		out = append(out, Member{User: u, Sessions: n})
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.User, b.User) })
	return out
}

// Messages returns the room's message count as of the newest event
// received.
func (r *Room) Messages() int64 {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.msgs
}

// Position returns the room's newest cursor received and its epoch.
func (r *Room) Position() Position {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return Position{Epoch: r.epoch, Cursor: r.cursor}
}

// Err returns why the room ended: nil while it has not or after Leave,
// ErrClosed after Close, or the server's *Error for a rejoin it refused
// for good (CodeForbidden for a user banned meanwhile, for instance).
func (r *Room) Err() error {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.err
}

// Send posts text to the room and returns its cursor once Kafka has it
// durably (the ack). While the client reconnects it waits for the room's
// rejoin. Errors: the server's *Error (ErrRateLimited, ErrForbidden,
// ErrUnavailable, …; ErrTooLarge also for a text too long to send at
// all), ErrLeft, ErrClosed, ErrDisconnected, or ctx's error (wrapped) when
// no ack came in time. After ErrDisconnected, ctx's error or
// ErrUnavailable the message may still be written, and then arrives in
// Updates like any other. ctx without a deadline gets
// Options.RequestTimeout.
func (r *Room) Send(ctx context.Context, text string) (int64, error) {
	if len(strings.TrimSpace(text)) > maxText {
		return 0, &Error{Code: CodeTooLarge, Message: "text is too long"}
	}
	return r.c.request(ctx, r, roomFrame{Op: "send", Text: text})
}

// Leave leaves the room and returns once the server acknowledged it. The
// own leave event is then the last update before Updates closes. Leaving
// a room that is not joined on the server now (the client is between
// connections) ends it at once. An error from the server other than
// not_member leaves the room joined.
func (r *Room) Leave(ctx context.Context) error {
	_, err := r.c.request(ctx, r, roomFrame{Op: "leave"})
	return err
}

// endLocked ends r: Join gets err if it waits, the pump hands over what is
// queued and closes Updates.
func (r *Room) endLocked(err error) {
	if r.ended {
		return
	}
	r.ended, r.err = true, err
	if r.c.rooms[r.name] == r {
		delete(r.c.rooms, r.name)
	}
	select {
	case <-r.joined:
	default:
		close(r.joined)
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	r.c.changedLocked()
}

// applyLocked folds a live event into the room's members and count.
func (r *Room) applyLocked(ev *Event) {
	switch ev.Type {
	case "message":
		r.msgs++
	case "join":
		r.members[ev.User]++
	case "leave", "expire":
		if r.members[ev.User]--; r.members[ev.User] <= 0 {
			delete(r.members, ev.User)
		}
	}
}

// resetLocked takes the state of snapshot s.
func (r *Room) resetLocked(s *Snapshot) {
	r.members = make(map[string]int, len(s.Members))
	for _, m := range s.Members {
		r.members[m.User] = m.Sessions
	}
	r.msgs = s.Messages
	r.epoch = s.Epoch
}
