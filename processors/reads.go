package processors

import (
	"slices"

	"github.com/chatstate/chatstate/codec"
)

// The read state of a room row (codec.RoomState.Reads) is folded here, with
// the rest of the row: a room's messages and read markers are events of
// the room's partition, so the fold sees each marker in order with the
// messages it refers to, and the count after a marker is exact under
// redelivery like every other field of the row (an event at or below the
// row's cursor changes nothing).

// startReading gives user read state in the room at their first join: the
// marker at the join, so that what came before is not unread.
func startReading(s *codec.RoomState, user string, offset int64) {
	if s.Reads == nil {
		s.Reads = map[string]*codec.ReadMark{}
	}
	if s.Reads[user] == nil {
		s.Reads[user] = &codec.ReadMark{Cursor: offset}
	}
}

// countMessage counts the message e at offset as unread for every user with
// read state but its author, and as a mention for those its text mentions,
// and keeps it among the row's latest messages.
func countMessage(s *codec.RoomState, e *codec.Event, offset int64) {
	var mentioned []string
	codec.Mentions(e.Text, func(name string) {
		if name != e.User && s.Reads[name] != nil && !slices.Contains(mentioned, name) {
			mentioned = append(mentioned, name)
		}
	})
	slices.Sort(mentioned)
	for u, r := range s.Reads {
		if u != e.User {
			r.Count++
		}
	}
	for _, u := range mentioned {
		s.Reads[u].Mentions++
	}
	s.Latest = append(s.Latest, codec.LatestMessage{Cursor: offset, User: e.User, Mentioned: mentioned})
	if over := len(s.Latest) - codec.LatestKeep; over > 0 {
		// Reslice: the next append that outgrows the array copies the
		// live entries to a new one, so a message costs O(1) amortised
		// where copying here cost all LatestKeep entries each time; the
		// dropped entries (a cursor and two small strings each) stay
		// alive until then.
		s.Latest = s.Latest[over:]
	}
}

// moveMarker moves user's marker forward to cursor and recounts what is
// unread after it. A marker never moves back, past the row's cursor (the
// last event before this one: no one has read what is not written), or for
// a user without read state (who never joined): such a read changes nothing.
func moveMarker(s *codec.RoomState, user string, cursor int64) {
	r := s.Reads[user]
	if r == nil || cursor <= r.Cursor || cursor > s.Cursor {
		return
	}
	r.Cursor = cursor
	// Latest holds every message after cursor when it holds every message
	// of the room, or when its oldest is at or before cursor. Otherwise
	// some unread messages have dropped out of it: the counts stay, since
	// only messages before cursor could be subtracted and those are not
	// known.
	complete := int64(len(s.Latest)) >= s.Messages || len(s.Latest) > 0 && s.Latest[0].Cursor <= cursor
	if !complete {
		return
	}
	r.Count, r.Mentions = 0, 0
	for _, m := range s.Latest {
		if m.Cursor <= cursor || m.User == user {
			continue
		}
		r.Count++
		if slices.Contains(m.Mentioned, user) {
			r.Mentions++
		}
	}
}
