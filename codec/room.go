package codec

import (
	"fmt"
	"maps"
	"slices"
	"sort"
)

// HistoryLimit is the largest history a join may ask for: how many of a
// room's latest messages the row can find in the log without a scan of the
// room's whole past.
const HistoryLimit = 500

// RoomVersion is the format version of room rows. Version 2 replaced the
// cursors of the last HistoryLimit messages (version 1's "recent") with a
// mark every MarkEvery messages: the row shrank from about 4.7 KB to under
// 1 KB for a room of ten. Version 3 is binary (see roombin.go): read state
// had grown the JSON row of a room of ten to about 3 KB, written to the
// table on every event; in version 3 it takes about a fifth of that.
const RoomVersion = 3

// MarkEvery is the spacing, in messages, of the history marks of a room row.
const MarkEvery = 32

// keepMarks is how many marks a row keeps: enough that the mark at or before
// the HistoryLimit-th latest message is always among them.
const keepMarks = HistoryLimit/MarkEvery + 2

// RoomState is a row of the rooms table, keyed by room: the fold of every
// event of the room up to and including Cursor.
type RoomState struct {
	V    int    `json:"v"`
	Room string `json:"room"`
	// Cursor is the offset of the last event applied; an event at or below it
	// changes nothing (exactly-once effect under redelivery).
	Cursor int64 `json:"cursor"`
	// Members maps user → session → server for every live session.
	Members map[string]map[string]string `json:"members"`
	// Messages is the total number of messages ever posted.
	Messages int64 `json:"messages"`
	// Created and Updated are the timestamps of the first and last event.
	Created string `json:"created"`
	Updated string `json:"updated"`
	// Marks holds, oldest first, the cursors of the room's messages number
	// 1, 1+MarkEvery, 1+2·MarkEvery, … (counting from the room's first
	// message), the last keepMarks of them: the latest mark is that of
	// message 1+⌊(Messages−1)/MarkEvery⌋·MarkEvery. History is read from
	// the log from the mark at or before the first message wanted.
	Marks []int64 `json:"marks"`
	// Reads holds the read state of every user who ever joined the room,
	// so that a user away from the room finds their unread count when they
	// come back. Nil until the first join.
	Reads map[string]*ReadMark `json:"reads,omitempty"`
	// Latest holds the room's last LatestKeep messages, oldest first: what
	// a read marker moved back from the end is recounted from.
	Latest []LatestMessage `json:"latest,omitempty"`

	// The room's rules (see processors/rules.go), folded from its events
	// like the rest of the row. Owner is the user whose join first wrote
	// to the room; a direct room has none.
	Owner string `json:"owner,omitempty"`
	// Moderators, Invited, Banned and Muted are sorted user names; nil
	// when empty. Invited holds the invitations not taken up by a join
	// yet: who may join the room while it is private, besides its members
	// (the users with read state), owner and moderators.
	Moderators []string `json:"moderators,omitempty"`
	Private    bool     `json:"private,omitzero"`
	Topic      string   `json:"topic,omitempty"`
	Invited    []string `json:"invited,omitempty"`
	Banned     []string `json:"banned,omitempty"`
	Muted      []string `json:"muted,omitempty"`
	// DM holds the two users of a direct room, sorted: the only ones who
	// may ever join it.
	DM []string `json:"dm,omitempty"`
}

// ReadMark is a user's read state in a room: the marker and what came
// after it.
type ReadMark struct {
	// Cursor is the read marker: the user has read the room up to it. It
	// starts at the user's first join (what came before is not unread) and
	// never moves back.
	Cursor int64 `json:"cursor"`
	// Count is the number of messages of others after Cursor; Mentions the
	// number of those that mention the user (see Mentions).
	Count    int64 `json:"count"`
	Mentions int64 `json:"mentions"`
}

// LatestMessage is what a room row keeps of one of its latest messages.
type LatestMessage struct {
	Cursor int64  `json:"c"`
	User   string `json:"u"`
	// Mentioned are the users with read state in the room that the text
	// mentions, other than the author, sorted; nil when none. An edit
	// derives them again from its text, a delete clears them.
	Mentioned []string `json:"m,omitempty"`
}

// LatestKeep is how many of its latest messages a room row keeps for
// recounting: a marker moved to a cursor among them gets exact counts; one
// moved to an older cursor, while later messages have dropped out, leaves
// the counts as they were, which can only overcount.
const LatestKeep = 64

// NewRoomState returns the state of a room before its first event.
func NewRoomState(room string) *RoomState {
	return &RoomState{V: RoomVersion, Room: room, Cursor: -1, Members: map[string]map[string]string{}}
}

// Clone returns a deep copy of s that shares nothing with it, for a reader
// that hands a row out while its owner goes on folding into it.
func (s *RoomState) Clone() *RoomState {
	c := *s
	c.Members = make(map[string]map[string]string, len(s.Members))
	for u, ss := range s.Members {
		c.Members[u] = maps.Clone(ss)
	}
	c.Marks = slices.Clone(s.Marks)
	if s.Reads != nil {
		c.Reads = make(map[string]*ReadMark, len(s.Reads))
		for u, r := range s.Reads {
			rr := *r
			c.Reads[u] = &rr
		}
	}
	c.Latest = slices.Clone(s.Latest) // the Mentioned slices are never written after they are made
	c.Moderators, c.Invited = slices.Clone(s.Moderators), slices.Clone(s.Invited)
	c.Banned, c.Muted, c.DM = slices.Clone(s.Banned), slices.Clone(s.Muted), slices.Clone(s.DM)
	return &c
}

// AddMessage counts a message at cursor, marking it if its number is one
// of the marked ones. Callers advance Cursor themselves.
func (s *RoomState) AddMessage(cursor int64) {
	s.Messages++
	if (s.Messages-1)%MarkEvery != 0 {
		return
	}
	s.Marks = append(s.Marks, cursor)
	if over := len(s.Marks) - keepMarks; over > 0 {
		// Copy rather than reslice so the dropped prefix is not kept alive
		// by the backing array.
		s.Marks = append([]int64(nil), s.Marks[over:]...)
	}
}

// HistoryFrom returns where to start reading the log for the room's last n
// messages (n ≤ HistoryLimit): the cursor of the mark at or before the first
// of them, which precedes it by fewer than MarkEvery messages. from is -1 when
// there is nothing to read (no message yet, or n ≤ 0). whole is false when
// the row lacks that mark (a row converted from version 1): from is then the
// oldest mark, which gives fewer messages than asked.
func (s *RoomState) HistoryFrom(n int) (from int64, whole bool) {
	if s.Messages == 0 || n <= 0 || len(s.Marks) == 0 {
		return -1, s.Messages == 0 || n <= 0
	}
	first := max(1, s.Messages-int64(n)+1)         // number of the first message wanted
	last := 1 + (s.Messages-1)/MarkEvery*MarkEvery // number of the latest mark
	mark := 1 + (first-1)/MarkEvery*MarkEvery      // number of the mark at or before first
	i := len(s.Marks) - 1 - int((last-mark)/MarkEvery)
	if i < 0 {
		return s.Marks[0], false
	}
	return s.Marks[i], true
}

// Member is one entry of a room's member list.
type Member struct {
	User     string `json:"user"`
	Sessions int    `json:"sessions"`
}

// MemberList returns the members sorted by user, with their session counts.
// It never returns nil.
func (s *RoomState) MemberList() []Member {
	out := make([]Member, 0, len(s.Members))
	for u, ss := range s.Members {
		out = append(out, Member{User: u, Sessions: len(ss)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out
}

// RoomCodec is the goka codec of *RoomState. It reads rows of versions 1
// and 2 (JSON) and 3 (binary, see roombin.go), and writes version 3. It is
// safe for concurrent use.
type RoomCodec struct{}

// Encode implements goka.Codec. It fails on a string that is not valid
// UTF-8 and on a nil entry of Reads; a nil *RoomState encodes as JSON null,
// which no decode accepts.
func (RoomCodec) Encode(v interface{}) ([]byte, error) {
	if s, ok := v.(*RoomState); ok {
		if s == nil {
			return []byte("null"), nil
		}
		return encodeRoomBinary(s, nil)
	}
	return nil, fmt.Errorf("codec: RoomCodec cannot encode %T", v)
}

// roomRow is what a JSON room row may hold in any version this build reads.
type roomRow struct {
	RoomState
	Recent []int64 `json:"recent"` // version 1 only
}

// Decode implements goka.Codec; it returns a *RoomState of RoomVersion.
// The error wraps ErrDecode.
func (RoomCodec) Decode(data []byte) (interface{}, error) {
	if len(data) > 0 && data[0] == binaryMark {
		return decodeRoomBinary(data)
	}
	var row roomRow
	if err := unmarshalStrict(data, &row); err != nil {
		return nil, err
	}
	s := &row.RoomState
	switch {
	case s.V == 2 && row.Recent == nil:
	case s.V == 1 && s.Marks == nil:
		s.Marks = marksOf(row.Recent, s.Messages)
	default:
		return nil, fmt.Errorf("%w: a JSON room row of version %d with the fields of another, or of a version this build does not read in JSON (1 and 2)", ErrDecode, s.V)
	}
	for u, r := range s.Reads {
		if r == nil {
			return nil, fmt.Errorf("%w: room row %q: read state of %q is null", ErrDecode, s.Room, u)
		}
	}
	s.V = RoomVersion
	if s.Members == nil {
		s.Members = map[string]map[string]string{}
	}
	return s, nil
}

// marksOf picks the marks out of version 1's recent list: the cursors of
// the room's last len(recent) messages, the last one being number messages.
// Marks older than the list are lost, so such a row serves a long history
// only in part until the table is rebuilt.
func marksOf(recent []int64, messages int64) []int64 {
	var marks []int64
	for i, c := range recent {
		if n := messages - int64(len(recent)-1-i); (n-1)%MarkEvery == 0 {
			marks = append(marks, c)
		}
	}
	return marks[max(0, len(marks)-keepMarks):]
}

// AsRoom returns the *RoomState held by a goka value, or nil.
func AsRoom(v interface{}) *RoomState {
	s, _ := v.(*RoomState)
	return s
}
