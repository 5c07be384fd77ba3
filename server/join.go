package server

import (
	"context"
	"errors"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/logread"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/server/protocol"
)

// join answers a join with a snapshot and starts the room's stream; see the
// package doc for why the order of steps matters. A join that fails changes
// nothing: a member stays one, with its stream where it was. c.mu held.
func (c *conn) join(f *protocol.ClientFrame) error {
	_, err := c.joinRoom(f, "")
	return err
}

// joinRoom is join; target names the other user of a direct room (a dm),
// whose join carries it. It returns the snapshot sent, nil on an error.
// c.mu held.
func (c *conn) joinRoom(f *protocol.ClientFrame, target string) (*protocol.SnapshotFrame, error) {
	c.pruneLeaving()
	old := c.joined(f.Room)
	if old == nil && len(c.rooms) >= c.srv.cfg.MaxRooms {
		return nil, protocol.Errorf(protocol.CodeForbidden, "at most %d rooms per connection", c.srv.cfg.MaxRooms)
	}
	if !c.srv.Ready() {
		return nil, protocol.Errorf(protocol.CodeUnavailable, "not ready: %s", c.srv.notReadyReason())
	}
	if !c.allowJoin() {
		return nil, protocol.Errorf(protocol.CodeRateLimited, "too many joins and leaves: at most %g per second", c.srv.cfg.JoinRate)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.ReadTimeout)
	defer cancel()

	// The connection's subscription to the room, if it has one (a member's,
	// or one still waiting for its own leave), is paused and used again: a
	// second join of the same room restarts its stream with a fresh
	// snapshot, and the session is a member already, so no join is written.
	sub, last, existed := c.srv.hub.Subscribe(c, f.Room)
	snap, err := c.srv.snapshot(ctx, f, last, c.User(), target)
	if err == nil && snap.Denied != nil {
		err = protocol.Errorf(protocol.CodeForbidden, "%s", refusal(snap.Denied))
	}
	if err == nil && old == nil {
		var offs []int64
		c.srv.changed.note(codec.Held{Room: f.Room, Session: c.Session()}.Key())
		if snap.Reads == nil {
			// The user's marker is at their first join, after the
			// snapshot's cursor: this one or another session's. The hub's
			// copy knows once it folded this join, which the tail may
			// dispatch before the write returns.
			sub.UnreadOnJoin()
		}
		e := c.event(codec.Join, f.Room)
		e.Target = target
		if offs, err = c.srv.write(ctx, e); err == nil {
			sub.Joined(offs[0])
		}
	}
	if err != nil {
		if !existed || sub.GoLive(sub.ResumeFloor()) {
			c.srv.hub.Unsubscribe(sub)
		}
		return nil, err
	}
	delete(c.leaving, f.Room)
	snap.Ref = f.Ref
	c.EnqueueAlways(protocol.MustJSON(snap))
	if snap.Reads != nil {
		c.EnqueueAlways(protocol.Unread(f.Room, *snap.Reads))
	}
	if sub.GoLive(snap.Cursor) {
		// Its own leave, written by another, came after its join: gone.
		c.srv.hub.Unsubscribe(sub)
		return snap, nil
	}
	c.rooms[f.Room] = sub
	c.srv.metrics.Joins.Inc()
	return snap, nil
}

// pruneLeaving forgets the rooms left whose own leave has been delivered.
// c.mu held.
func (c *conn) pruneLeaving() {
	for room, sub := range c.leaving {
		if sub.Ended() {
			delete(c.leaving, room)
		}
	}
}

// snapshot builds the answer to a join: the room's state at a cursor no lower
// than last (the tail's position in the room), and the history or the
// resumed events up to that cursor. It answers from the hub's copy of the
// room when that has what the join asks for, and otherwise from the view
// and the log, leaving the hub a copy of what it read for the next joins.
func (s *Server) snapshot(ctx context.Context, f *protocol.ClientFrame, last int64, user, target string) (*protocol.SnapshotFrame, error) {
	if snap := s.snapshotFromCopy(f, user, target); snap != nil {
		s.metrics.JoinsFromMemory.Inc()
		return snap, nil
	}
	room, err := s.roomAt(ctx, f.Room, last)
	if err != nil {
		return nil, err
	}
	snap := &protocol.SnapshotFrame{
		Op: "snapshot", Room: f.Room, Cursor: room.Cursor, Epoch: s.epoch,
		Members: room.MemberList(), Messages: room.Messages, Reads: readsOf(room, user),
		RoomRules: room.RulesFor(user, false), Denied: joinDenied(room, user, target),
	}
	var seed []protocol.Entry
	cover := room.Cursor + 1
	if s.honours(f, room.Cursor) {
		seed, cover, err = s.resume(ctx, snap, *f.After)
	} else {
		seed, cover, err = s.history(ctx, snap, room, historyOf(f))
	}
	snap.Events = protocol.Entries(visibleTo(snap.Events, user))
	if err == nil {
		s.hub.Keep(room, seed, cover)
	}
	return snap, err
}

// honours reports whether a join resumes: it names a cursor no higher than
// the room's, in this log's epoch (or none).
func (s *Server) honours(f *protocol.ClientFrame, cursor int64) bool {
	return f.After != nil && (f.Epoch == "" || f.Epoch == s.epoch) && *f.After <= cursor
}

// historyOf returns how many messages a join's snapshot carries.
func historyOf(f *protocol.ClientFrame) int {
	if f.History != nil {
		return *f.History
	}
	return protocol.DefaultHistory
}

// roomAt returns the room's row from the view, brought forward with the
// processors' fold to at least cursor if the view lags behind the tail.
func (s *Server) roomAt(ctx context.Context, name string, cursor int64) (*codec.RoomState, error) {
	if room := s.copyOf(name); room != nil && room.Cursor >= cursor {
		return room, nil
	}
	room, err := s.rooms.Get(name)
	if err != nil {
		return nil, protocol.Errorf(protocol.CodeUnavailable, "room state: %v", err)
	}
	from := int64(0)
	if room == nil {
		room = codec.NewRoomState(name)
		// A room the view does not know yet has no event before the
		// first one the tail dispatched: read from there, not from the
		// start of the partition.
		if first, _ := s.hub.Seen(name); first > 0 {
			from = first
		}
	}
	if cursor <= room.Cursor {
		return room, nil
	}
	from = max(from, room.Cursor+1)
	_, _, err = s.reader.Scan(ctx, name, from, cursor, func(e logread.Entry) bool {
		room, _, _ = processors.ApplyRoom(room, e.Event, e.Cursor)
		return true
	})
	if err != nil {
		return nil, unavailable(err)
	}
	return room, nil
}

// history fills in the last n messages up to the snapshot's cursor. It
// returns every event of the room it read, and the cursor from which on
// they are all the room's events up to the snapshot's (see Hub.Keep).
func (s *Server) history(ctx context.Context, snap *protocol.SnapshotFrame, room *codec.RoomState, n int) ([]protocol.Entry, int64, error) {
	from, whole := room.HistoryFrom(n)
	if from < 0 {
		return nil, room.Cursor + 1, nil
	}
	var all, got []protocol.Entry
	start, _, err := s.reader.Scan(ctx, room.Room, from, room.Cursor, func(e logread.Entry) bool {
		all = append(all, protocol.Entry{Cursor: e.Cursor, Event: e.Event.Public()})
		return true
	})
	if err != nil {
		return nil, 0, unavailable(err)
	}
	// The messages in their current state: what changes them comes after
	// them, so up to the snapshot's cursor it is all in what was read.
	for _, ent := range protocol.Current(all) {
		if ent.Event.Type == codec.Message {
			got = append(got, ent)
		}
	}
	// The mark may precede the first message wanted by up to MarkEvery-1.
	snap.Events = append(snap.Events, got[max(0, len(got)-n):]...)
	snap.Truncated = start > from || !whole
	// What was read begins at from, or later where retention cut the log
	// (Scan returns the log's first retained offset, which may be lower).
	return all, max(start, from), nil
}

// resume fills in every event after the client's cursor up to the
// snapshot's, the newest protocol.MaxResume of them, so that they join the live
// stream without a gap. It returns what it read as history does.
func (s *Server) resume(ctx context.Context, snap *protocol.SnapshotFrame, after int64) ([]protocol.Entry, int64, error) {
	var got []protocol.Entry
	dropped := false
	start, _, err := s.reader.Scan(ctx, snap.Room, after+1, snap.Cursor, func(e logread.Entry) bool {
		got = append(got, protocol.Entry{Cursor: e.Cursor, Event: e.Event.Public()})
		if len(got) > 2*protocol.MaxResume {
			// Keep memory bounded on a long scan.
			got = append(got[:0], got[len(got)-protocol.MaxResume:]...)
			dropped = true
		}
		return true
	})
	if err != nil {
		return nil, 0, unavailable(err)
	}
	if len(got) > protocol.MaxResume {
		got = got[len(got)-protocol.MaxResume:]
		dropped = true
	}
	snap.Truncated = dropped || start > after+1
	snap.Events = protocol.Current(got)
	snap.Resumed = !snap.Truncated
	// What was read begins after the client's cursor, or later where
	// retention cut the log (Scan returns the log's first retained offset,
	// which may be lower), or at the first event kept of a long scan.
	cover := max(start, after+1)
	if dropped {
		cover = got[0].Cursor
	}
	return got, cover, nil
}

func unavailable(err error) error {
	if errors.Is(err, logread.ErrUnavailable) {
		return protocol.Errorf(protocol.CodeUnavailable, "%v", err)
	}
	return err
}
