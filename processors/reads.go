package processors

import (
	"cmp"
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
	mentioned := mentionsOf(s, e.User, e.Text)
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

// moveMarker moves the marker of e's user forward to e.Cursor and recounts
// what is unread after it. A marker never moves back, past the row's cursor
// (the last event before this one: no one has read what is not written),
// or for a user without read state (who never joined): such a read changes
// nothing.
func moveMarker(s *codec.RoomState, e *codec.Event) {
	user, cursor := e.User, e.Cursor
	r := markerMoves(s, user, cursor)
	if r == nil {
		return
	}
	from := r.Cursor
	r.Cursor = cursor
	// When the row's latest messages do not hold every message after
	// cursor, some of the messages the read passes have dropped out: the
	// read's own count of them (Marked, MarkedMentions, which the server
	// counted in the log from the marker From) is taken off, if the marker
	// was still at From; else the counts stay (an overcount), since only
	// messages before cursor could be subtracted and those are not known.
	if !latestCovers(s, cursor) {
		if e.From == from {
			r.Count = max(r.Count-e.Marked, 0)
			r.Mentions = max(r.Mentions-e.MarkedMentions, 0)
		}
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

// PassesLatest reports whether a read of user to cursor moves their
// marker past messages that dropped out of the row's latest, which the
// fold cannot recount: the read should then carry its own count of them
// (codec.Event.Marked), from the marker it returns.
func PassesLatest(s *codec.RoomState, user string, cursor int64) (from int64, ok bool) {
	r := markerMoves(s, user, cursor)
	if r == nil {
		return 0, false
	}
	return r.Cursor, !latestCovers(s, cursor)
}

// markerMoves returns user's read state if a read to cursor moves their
// marker (see moveMarker), nil if it changes nothing.
func markerMoves(s *codec.RoomState, user string, cursor int64) *codec.ReadMark {
	r := s.Reads[user]
	if r == nil || cursor <= r.Cursor || cursor > s.Cursor {
		return nil
	}
	return r
}

// latestCovers reports whether the row's latest messages hold every
// message after cursor: when they hold every message of the room, or when
// the oldest of them is at or before cursor.
func latestCovers(s *codec.RoomState, cursor int64) bool {
	return int64(len(s.Latest)) >= s.Messages || len(s.Latest) > 0 && s.Latest[0].Cursor <= cursor
}

// mentionsOf returns the users with read state in the room, other than its
// author, that text mentions: sorted, each once.
func mentionsOf(s *codec.RoomState, author, text string) []string {
	var mentioned []string
	codec.Mentions(text, func(name string) {
		if name != author && s.Reads[name] != nil && !slices.Contains(mentioned, name) {
			mentioned = append(mentioned, name)
		}
	})
	slices.Sort(mentioned)
	return mentioned
}

// LatestAt returns the room's latest message at cursor, or nil when the
// row's latest messages hold none there. The pointer is into s.Latest:
// valid until the row's next event.
func LatestAt(s *codec.RoomState, cursor int64) *codec.LatestMessage {
	i, ok := slices.BinarySearchFunc(s.Latest, cursor, func(m codec.LatestMessage, c int64) int { return cmp.Compare(m.Cursor, c) })
	if !ok {
		return nil
	}
	return &s.Latest[i]
}

// remention gives the message that the edit or delete e changes the
// mentions of its new text (an edited message) or none (a deleted one),
// and moves the mention count of each user it mentions no more, or now
// does, whose marker is before it: "mentions" counts the unread messages
// whose text mentions the user, and a message shows its latest text. The
// message is found at e.Cursor among the row's latest messages, and only
// its author's change counts, as only the author's is shown. A change of a
// message older than those, or of one e does not locate (an event of an
// older build, or a message at offset 0), leaves the counts as they are.
// The count of unread messages stays: a deleted message is still one of
// the room's messages.
//
// The row does not record deletions, so an edit that another producer
// writes after a delete (which the server never does, and no reader
// shows) would count the edit's mentions.
func remention(s *codec.RoomState, e *codec.Event) {
	m := LatestAt(s, e.Cursor)
	if e.Cursor <= 0 || m == nil || m.User != e.User {
		return
	}
	var now []string
	if e.Type == codec.Edit {
		now = mentionsOf(s, e.User, e.Text)
	}
	for _, u := range m.Mentioned {
		if !slices.Contains(now, u) {
			addMention(s, u, m.Cursor, -1)
		}
	}
	for _, u := range now {
		if !slices.Contains(m.Mentioned, u) {
			addMention(s, u, m.Cursor, 1)
		}
	}
	m.Mentioned = now // a new slice: those of the row are never written (RoomState.Clone)
}

// addMention adds d to user's mentions if their marker is before the
// message at cursor, which is then among their unread messages.
func addMention(s *codec.RoomState, user string, cursor, d int64) {
	if r := s.Reads[user]; r != nil && r.Cursor < cursor {
		r.Mentions = max(r.Mentions+d, 0)
	}
}
