package server

import (
	"context"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/logread"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/server/fanout"
	"github.com/chatstate/chatstate/server/protocol"
)

// markedScanLimit bounds the offsets of the room's partition that one read
// reads from the log to count what it marks read.
const markedScanLimit = 100000

// markRead gives the read event e the count of what it marks read when its
// marker moves past messages that dropped out of the room row's latest,
// which the fold cannot recount (processors.PassesLatest): the messages of
// others from the user's marker to e.Cursor, and those of them whose text
// mentions the user, counted in the log. Without a copy of the room, past
// markedScanLimit offsets, or when the log cannot be read in time, e goes
// without, and the fold keeps the counts as they were (an overcount).
func (s *Server) markRead(e *codec.Event) {
	var from int64
	passes := false
	s.hub.Copy(e.Room, func(r fanout.Room) { from, passes = processors.PassesLatest(r.Row(), e.User, e.Cursor) })
	if !passes || e.Cursor-from > markedScanLimit {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ReadTimeout)
	defer cancel()
	var entries []protocol.Entry
	_, last, err := s.reader.Scan(ctx, e.Room, from+1, e.Cursor, func(le logread.Entry) bool {
		if t := le.Event.Type; t == codec.Message || t.Lifecycle() {
			entries = append(entries, protocol.Entry{Cursor: le.Cursor, Event: le.Event.Public()})
		}
		return true
	})
	if err != nil || last < e.Cursor {
		return
	}
	var marked, mentions int64
	for _, m := range protocol.Current(entries) {
		if m.Event.Type != codec.Message || m.Event.User == e.User {
			continue
		}
		marked++
		if !m.Event.Deleted && mentioning(m.Event.Text, e.User) {
			mentions++
		}
	}
	if marked > 0 {
		e.From, e.Marked, e.MarkedMentions = from, marked, mentions
	}
}

// mentioning reports whether text mentions user, as the fold counts
// mentions (codec.Mentions).
func mentioning(text, user string) bool {
	found := false
	codec.Mentions(text, func(name string) { found = found || name == user })
	return found
}
