package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// errRowCorrupt is what binDecoder records for bytes that are not a row of
// the layout in roombin.go.
var errRowCorrupt = errors.New("not a room row of version 3")

// decodeRoomBinary decodes a row of version 3 (see roombin.go). The error
// wraps ErrDecode.
func decodeRoomBinary(data []byte) (*RoomState, error) {
	d := &binDecoder{b: data}
	if len(data) < 2 || data[0] != binaryMark || data[1] != RoomVersion {
		return nil, fmt.Errorf("%w: a binary room row of a version this build does not read", ErrDecode)
	}
	d.b = data[2:]
	s := &RoomState{V: RoomVersion}
	s.Room = d.str()
	s.Cursor = d.int()
	s.Messages = d.int()
	s.Created = d.str()
	s.Updated = d.str()
	s.Reads, d.reads = d.readMarks()
	s.Members = d.members()
	if n, ok := d.optLen(); ok {
		s.Marks = make([]int64, n)
		prev := int64(0)
		for i := range s.Marks {
			prev += d.int()
			s.Marks[i] = prev
		}
	}
	if n := d.count(); n > 0 {
		s.Latest = make([]LatestMessage, n)
		prev := int64(0)
		for i := range s.Latest {
			m := &s.Latest[i]
			prev += d.int()
			m.Cursor, m.User = prev, d.name()
			if k := d.count(); k > 0 {
				m.Mentioned = make([]string, k)
				for j := range m.Mentioned {
					m.Mentioned[j] = d.name()
				}
			}
		}
	}
	s.Owner = d.str()
	s.Moderators = d.list()
	switch p := d.byte(); p {
	case 0, 1:
		s.Private = p == 1
	default:
		d.fail()
	}
	s.Topic = d.str()
	s.Invited, s.Banned, s.Muted, s.DM = d.list(), d.list(), d.list(), d.list()
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: %w at byte %d of %d", ErrDecode, d.err, len(data)-len(d.b), len(data))
	}
	return s, nil
}

// binDecoder reads a binary row. After the first error every read returns
// a zero value and leaves the error in place, so that decodeRoomBinary
// checks once at the end.
type binDecoder struct {
	b     []byte
	reads []string // the row's readers, in order: what names index
	err   error
}

func (d *binDecoder) fail() {
	if d.err == nil {
		d.err = errRowCorrupt
	}
	d.b = nil
}

func (d *binDecoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// minimal reports whether the varint of n bytes at the front of b is the
// shortest for its value (no trailing zero group), so that a row has one
// encoding only.
func minimal(b []byte, n int) bool { return n == 1 || b[n-1] != 0 }

// took consumes the varint of n bytes that binary.Varint or Uvarint read
// at the front, or fails on none or one longer than its value needs.
func (d *binDecoder) took(n int) bool {
	if n <= 0 || !minimal(d.b, n) {
		d.fail()
		return false
	}
	d.b = d.b[n:]
	return true
}

func (d *binDecoder) int() int64 {
	v, n := binary.Varint(d.b)
	if !d.took(n) {
		return 0
	}
	return v
}

// index reads an unsigned varint that counts nothing (a name's index).
func (d *binDecoder) index() uint64 {
	v, n := binary.Uvarint(d.b)
	if !d.took(n) {
		return 0
	}
	return v
}

// count reads a count of items of at least a byte each: never more than
// the bytes left, so that a corrupt row cannot make a huge allocation.
func (d *binDecoder) count() int {
	v := d.index()
	if v > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(v)
}

// optLen reads count+1 of a list or map that may be nil; ok is false for
// nil.
func (d *binDecoder) optLen() (n int, ok bool) {
	c := d.count()
	if c == 0 {
		return 0, false
	}
	return c - 1, true
}

func (d *binDecoder) str() string {
	n := d.count()
	s := d.b[:n]
	d.b = d.b[n:]
	if !utf8.Valid(s) {
		d.fail()
		return ""
	}
	return string(s)
}

// after returns k, which must sort after prev unless it is the first of
// its map: a row's keys are written in ascending order, each once.
func (d *binDecoder) after(k, prev string, first bool) string {
	if !first && k <= prev {
		d.fail()
	}
	return k
}

func (d *binDecoder) list() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	v := make([]string, n)
	for i := range v {
		v[i] = d.str()
	}
	return v
}

func (d *binDecoder) name() string {
	i := d.index()
	if i == 0 {
		s := d.str()
		if _, found := slices.BinarySearch(d.reads, s); found {
			d.fail() // a reader's name is written as its index
		}
		return s
	}
	if i > uint64(len(d.reads)) {
		d.fail()
		return ""
	}
	return d.reads[i-1]
}

func (d *binDecoder) members() map[string]map[string]string {
	n := d.count()
	m := make(map[string]map[string]string, n)
	u := ""
	for i := range n {
		u = d.after(d.name(), u, i == 0)
		k := d.count()
		ss := make(map[string]string, k)
		id := ""
		for j := range k {
			id = d.after(d.str(), id, j == 0)
			ss[id] = d.str()
		}
		if d.err != nil {
			return m
		}
		m[u] = ss
	}
	return m
}

func (d *binDecoder) readMarks() (map[string]*ReadMark, []string) {
	n, ok := d.optLen()
	if !ok {
		return nil, nil
	}
	m := make(map[string]*ReadMark, n)
	users := make([]string, 0, n)
	u := ""
	for i := range n {
		u = d.after(d.str(), u, i == 0)
		r := &ReadMark{Cursor: d.int(), Count: d.int(), Mentions: d.int()}
		if d.err != nil {
			return m, users
		}
		m[u] = r
		users = append(users, u)
	}
	return m, users
}
