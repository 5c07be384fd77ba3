package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// A room row of version 3 is binary: the rooms group writes the whole row
// to its table on every event of the room, and in JSON (version 2) a room of
// ten with its latest 64 messages took about 3 KB, most of it the names and
// cursors of those messages written out again on every event. Here a cursor
// is a varint delta from the one before it and a name of the row's readers
// is its index among them, which makes the row about a fifth of that; and
// the bytes take no quoting or escaping checks either way.
//
// The layout, every integer a varint (signed ones zig-zag, counts and
// indexes unsigned), every string its length then its bytes, which must be
// valid UTF-8:
//
//	0x00 0x03                      marker (no JSON row starts with 0x00) and version
//	room, cursor, messages, created, updated
//	reads:   count+1 (0 for nil), then per user (ascending, no two alike)
//	         user, cursor, count and mentions
//	members: count, then per user (ascending) the user as a name and a
//	         count of sessions, then per session (ascending) session and server
//	marks:   count+1 (0 for nil), then the first mark and each next one's delta
//	latest:  count, then per message its cursor's delta from the one before
//	         (the first's from 0), its user as a name, a count of mentioned
//	         and each of them as a name
//	owner, moderators, private (a byte, 0 or 1), topic, invited, banned,
//	muted, dm: each list a count then its strings
//
// A name is 0 followed by the string, or i+1 for the i-th user of reads.
// Every row has exactly one encoding, so equal rows are equal bytes (the
// rooms group's row cache relies on that), and the decoder takes nothing
// else: no trailing bytes, no unsorted or repeated keys, no index out of
// range, no varint longer than its value needs. Empty lists of the rules and of latest read back as nil, as
// omitempty made them in JSON; a nil inner map of members reads back empty.

// binaryMark starts every binary row; a JSON row starts with '{'.
const binaryMark = 0x00

// errNilReadMark refuses a row whose read state holds a nil entry: the
// folds would fail on it, and no decode ever makes one.
var errNilReadMark = errors.New("codec: a room row's read state holds a nil entry")

// binBuffers recycles encode buffers, so that an encode allocates only its
// result.
var binBuffers = sync.Pool{New: func() any { return new(binEncoder) }}

// keepBytes and keepNames bound what an encoder keeps for the next one:
// the buffers of a row of a few thousand members.
const (
	keepBytes = 256 << 10
	keepNames = 4096
)

// binEncoder is one encode in progress.
type binEncoder struct {
	b     []byte
	keys  []string       // sorted keys of the map being written
	reads []string       // the row's sorted readers (rowKeys.reads), names' indexes into it
	index map[string]int // the readers' indexes, when more than linearMax (rowKeys.index)
	bad   bool           // a string was not valid UTF-8
}

// encodeRoomBinary encodes s in version 3, in the order of k, the sorted
// users of its Members and Reads (sorted here when nil). It fails on a
// string that is not valid UTF-8 and on a nil read mark.
func encodeRoomBinary(s *RoomState, k *rowKeys) ([]byte, error) {
	e := binBuffers.Get().(*binEncoder)
	defer func() {
		if cap(e.b) > keepBytes || cap(e.keys) > keepNames {
			return // do not pin the memory of a rare huge row
		}
		// Clear the names, which would pin the row's strings.
		clear(e.keys[:cap(e.keys)])
		e.b, e.keys, e.reads, e.index, e.bad = e.b[:0], e.keys[:0], nil, nil, false
		binBuffers.Put(e)
	}()
	e.b = append(e.b, binaryMark, RoomVersion)
	e.str(s.Room)
	e.b = binary.AppendVarint(e.b, s.Cursor)
	e.b = binary.AppendVarint(e.b, s.Messages)
	e.str(s.Created)
	e.str(s.Updated)
	if k == nil {
		k = newRowKeys(sortedOf(s.Members), sortedOf(s.Reads))
	}
	e.reads, e.index = k.reads, k.index
	if err := e.readMarks(s.Reads); err != nil {
		return nil, err
	}
	e.members(s.Members, k.members)
	e.optLen(s.Marks == nil, len(s.Marks))
	prev := int64(0)
	for _, m := range s.Marks {
		e.b = binary.AppendVarint(e.b, m-prev)
		prev = m
	}
	e.uint(len(s.Latest))
	prev = 0
	for i := range s.Latest {
		m := &s.Latest[i]
		e.b = binary.AppendVarint(e.b, m.Cursor-prev)
		prev = m.Cursor
		e.name(m.User)
		e.uint(len(m.Mentioned))
		for _, u := range m.Mentioned {
			e.name(u)
		}
	}
	e.str(s.Owner)
	e.list(s.Moderators)
	e.b = append(e.b, boolByte(s.Private))
	e.str(s.Topic)
	e.list(s.Invited)
	e.list(s.Banned)
	e.list(s.Muted)
	e.list(s.DM)
	if e.bad {
		return nil, fmt.Errorf("codec: room row %q holds a string that is not valid UTF-8", strings.ToValidUTF8(s.Room, "\uFFFD"))
	}
	return slices.Clone(e.b), nil
}

func (e *binEncoder) uint(n int) { e.b = binary.AppendUvarint(e.b, uint64(n)) }

// optLen writes a count of a list or map that may be nil: count+1, or 0.
func (e *binEncoder) optLen(isNil bool, n int) {
	if isNil {
		e.b = append(e.b, 0)
		return
	}
	e.uint(n + 1)
}

func (e *binEncoder) str(s string) {
	if !utf8.ValidString(s) {
		e.bad = true
	}
	e.uint(len(s))
	e.b = append(e.b, s...)
}

func (e *binEncoder) list(v []string) {
	e.uint(len(v))
	for _, s := range v {
		e.str(s)
	}
}

// name writes u as its index among the readers, or as itself.
func (e *binEncoder) name(u string) {
	if i := e.reader(u); i >= 0 {
		e.uint(i + 1)
		return
	}
	e.b = append(e.b, 0)
	e.str(u)
}

// linearMax is the most readers reader scans one by one, rather than look
// up in rowKeys.index: names of one room differ mostly at their end, an
// equality test of two strings of different lengths costs nothing, and
// few readers are not worth a map.
const linearMax = 16

// reader returns the index of u among the readers, or -1.
func (e *binEncoder) reader(u string) int {
	if e.index != nil {
		if i, ok := e.index[u]; ok {
			return i
		}
		return -1
	}
	n := len(u)
	for i, r := range e.reads {
		// The last bytes first: names of one length share most of theirs.
		if len(r) == n && (n == 0 || r[n-1] == u[n-1]) && r == u {
			return i
		}
	}
	return -1
}

// members writes m, whose users sorted are users.
func (e *binEncoder) members(m map[string]map[string]string, users []string) {
	e.uint(len(m))
	for _, u := range users {
		e.name(u)
		ss := m[u]
		e.uint(len(ss))
		if len(ss) == 1 {
			for id, srv := range ss {
				e.str(id)
				e.str(srv)
			}
			continue
		}
		e.keys = appendSorted(e.keys[:0], ss)
		for _, id := range e.keys {
			e.str(id)
			e.str(ss[id])
		}
	}
}

// readMarks writes m, whose users sorted are e.reads.
func (e *binEncoder) readMarks(m map[string]*ReadMark) error {
	e.optLen(m == nil, len(m))
	for _, u := range e.reads {
		r := m[u]
		if r == nil {
			return errNilReadMark
		}
		e.str(u)
		e.b = binary.AppendVarint(e.b, r.Cursor)
		e.b = binary.AppendVarint(e.b, r.Count)
		e.b = binary.AppendVarint(e.b, r.Mentions)
	}
	return nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
