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
	count := newMarkedCount(e.User)
	_, last, err := s.reader.Scan(ctx, e.Room, from+1, e.Cursor, func(le logread.Entry) bool {
		count.add(le.Event)
		return true
	})
	if err != nil || last < e.Cursor {
		return
	}
	if count.marked > 0 {
		e.From, e.Marked, e.MarkedMentions = from, count.marked, count.mentions
	}
}

// markedCount counts, event by event, the messages of others in a range of
// a room's log and those of them whose current text mentions user: the
// count of protocol.Current's messages, keeping of each message only its
// author and whether it mentions user now, not the message (a range of
// 100,000 offsets of long messages would otherwise be held whole).
type markedCount struct {
	user             string
	msgs             map[string]*markedMessage // by id: the messages of others
	marked, mentions int64
}

// markedMessage is what markedCount keeps of a message.
type markedMessage struct {
	author            string
	mentions, deleted bool
}

func newMarkedCount(user string) *markedCount {
	return &markedCount{user: user, msgs: map[string]*markedMessage{}}
}

// add counts e, the next event of the range: a message of another user,
// or an edit or delete that changes whether such a message mentions user,
// when protocol.Change applies it (its author's, and nothing changes a
// deleted message).
func (c *markedCount) add(e *codec.Event) {
	switch e.Type {
	case codec.Message:
		// Ids are unique in what servers write; of a second message under
		// one id (another producer's), the changes after it change it.
		if e.User == c.user {
			delete(c.msgs, e.ID)
			return
		}
		m := &markedMessage{author: e.User, mentions: mentioning(e.Text, c.user)}
		c.msgs[e.ID] = m
		c.marked++
		if m.mentions {
			c.mentions++
		}
	case codec.Edit, codec.Delete:
		m := c.msgs[e.ID]
		if m == nil {
			return
		}
		if p := e.Public(); !(&protocol.Change{User: m.author, Deleted: m.deleted}).Applies(&p) {
			return
		}
		now := e.Type == codec.Edit && mentioning(e.Text, c.user)
		m.deleted = e.Type == codec.Delete
		switch {
		case now && !m.mentions:
			c.mentions++
		case !now && m.mentions:
			c.mentions--
		}
		m.mentions = now
	}
}

// mentioning reports whether text mentions user, as the fold counts
// mentions (codec.Mentions).
func mentioning(text, user string) bool {
	found := false
	codec.Mentions(text, func(name string) { found = found || name == user })
	return found
}
