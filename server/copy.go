package server

import (
	"context"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/fanout"
	"github.com/chatstate/chatstate/server/protocol"
)

// snapshotFromCopy answers a join from the hub's copy of the room, or
// returns nil when the hub has none or lacks events the join asks for (a
// resume from further back than its ring, a history longer than it). The
// answer is the one the view and the log would give at the copy's cursor:
// the copy is the processors' fold of the same events (see Hub.Keep), and
// its cursor is no lower than the last the tail dispatched, as a snapshot's
// must be (see the fanout package).
func (s *Server) snapshotFromCopy(f *protocol.ClientFrame, user, target string) *protocol.SnapshotFrame {
	var snap *protocol.SnapshotFrame
	s.hub.Copy(f.Room, func(r fanout.Room) {
		row := r.Row()
		sn := &protocol.SnapshotFrame{
			Op: "snapshot", Room: f.Room, Cursor: row.Cursor, Epoch: s.epoch,
			Members: r.Members(), Messages: row.Messages, Reads: readsOf(row, user),
			RoomRules: row.RulesFor(user, false), Denied: joinDenied(row, user, target),
		}
		ok := true
		if s.honours(f, row.Cursor) {
			sn.Events, ok = r.After(*f.After)
			sn.Resumed = ok
		} else {
			n := historyOf(f)
			from, whole := row.HistoryFrom(n)
			switch {
			case from < 0:
			case !whole:
				// The log gives fewer than asked, and says so: ask it.
				ok = false
			default:
				sn.Events, ok = r.Messages(from, n)
			}
		}
		if ok {
			sn.Events = protocol.Entries(visibleTo(sn.Events, user))
			snap = sn
		}
	})
	return snap
}

// peekRoom runs fn on the room's row brought forward to the last event the
// tail dispatched: the hub's copy, under its lock and not copied, when it
// has one that far (each message posted over HTTP is checked so, and a
// copy of a row with its latest messages and read state was most of that
// check's cost), else roomAt's answer. fn must neither keep nor change
// the row.
func (s *Server) peekRoom(ctx context.Context, name string, fn func(row *codec.RoomState)) error {
	_, last := s.hub.Seen(name)
	done := false
	s.hub.Copy(name, func(r fanout.Room) {
		if row := r.Row(); row.Cursor >= last {
			fn(row)
			done = true
		}
	})
	if done {
		return nil
	}
	row, err := s.roomAt(ctx, name, last)
	if err == nil {
		fn(row)
	}
	return err
}

// copyOf returns a copy of the hub's copy of the room's row, or nil if the
// hub keeps none.
func (s *Server) copyOf(room string) *codec.RoomState {
	var row *codec.RoomState
	s.hub.Copy(room, func(r fanout.Room) { row = r.Row().Clone() })
	return row
}
