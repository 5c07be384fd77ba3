package codec

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
)

// normalized is what decoding s's encoding gives: the current version, the
// member maps there even when nil, and empty lists of the latest and of the
// rules nil, as omitempty made them in JSON.
func normalized(s *RoomState) *RoomState {
	c := s.Clone()
	c.V = RoomVersion
	for u, ss := range c.Members {
		if ss == nil {
			c.Members[u] = map[string]string{}
		}
	}
	if len(c.Latest) == 0 {
		c.Latest = nil
	}
	for i := range c.Latest {
		if len(c.Latest[i].Mentioned) == 0 {
			c.Latest[i].Mentioned = nil
		}
	}
	for _, l := range []*[]string{&c.Moderators, &c.Invited, &c.Banned, &c.Muted, &c.DM} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return c
}

// roundTrip encodes s, decodes the bytes, checks the row against
// normalized(s) and returns the bytes.
func roundTrip(t *testing.T, s *RoomState) []byte {
	t.Helper()
	b, err := RoomCodec{}.Encode(s)
	if err != nil {
		t.Fatalf("Encode(%+v): %v", s, err)
	}
	v, err := RoomCodec{}.Decode(b)
	if err != nil {
		t.Fatalf("Decode(Encode(%+v)) = %v; bytes %x", s, err, b)
	}
	if got, want := AsRoom(v), normalized(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the row:\n got  %+v\n want %+v", got, want)
	}
	return b
}

func TestRoomBinaryRoundTrip(t *testing.T) {
	members := map[string]map[string]string{}
	for i, k := range awkward {
		members[k] = map[string]string{k: k, awkward[(i+1)%len(awkward)]: "x"}
	}
	cases := map[string]*RoomState{
		"zero":        {},
		"new":         NewRoomState("r"),
		"empty marks": {Marks: []int64{}, Reads: map[string]*ReadMark{}},
		"extremes": {Room: "lobby", Cursor: -9223372036854775808, Messages: 9223372036854775807, Created: "c", Updated: "u",
			Marks: []int64{9223372036854775807, -1, 0, -9223372036854775808}},
		"members": {Members: map[string]map[string]string{"bob": {"s2": "h2", "s1": "h1"}, "alice": nil, "carol": {}, "\"q\"": {"<": "\u2028"}}},
		"awkward": {V: 2, Members: members, Room: "\x00\x1f\x7f\t\"\\/<>&"},
		"read state": {Reads: map[string]*ReadMark{"bob": {Cursor: 3, Count: 2, Mentions: 1}, "al": {Cursor: -1}, "z": {Count: -5}},
			Latest: []LatestMessage{{Cursor: 4, User: "al", Mentioned: []string{"bob", "z", "stranger"}}, {Cursor: 2, User: "gone", Mentioned: []string{}}, {Cursor: 9, User: "z"}}},
		"latest without readers": {Latest: []LatestMessage{{Cursor: 7, User: "al", Mentioned: []string{"bo"}}}},
		"rules": {Owner: "al", Moderators: []string{"bo", "cy"}, Private: true, Topic: "plans <&>", Invited: []string{"di"},
			Banned: []string{"ed", "\"q"}, Muted: []string{"fi", "fi"}, DM: []string{"al", "bo"}},
		"empty rules": {Moderators: []string{}, Invited: []string{}, Banned: []string{}, Muted: []string{}, DM: []string{}},
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) { roundTrip(t, s) })
	}
}

// TestRoomBinaryIsCanonical: equal rows are equal bytes whatever their
// maps' insertion order, which the rooms group's row cache relies on.
func TestRoomBinaryIsCanonical(t *testing.T) {
	build := func(order []int) *RoomState {
		s := NewRoomState("lobby")
		s.Reads = map[string]*ReadMark{}
		for _, i := range order {
			u := fmt.Sprint("user-", i)
			s.Members[u] = map[string]string{fmt.Sprint("s", i): "h", fmt.Sprint("t", i): "h"}
			s.Reads[u] = &ReadMark{Cursor: int64(i)}
		}
		return s
	}
	a, _ := RoomCodec{}.Encode(build([]int{1, 2, 3, 4, 5, 6, 7, 8, 9}))
	b, _ := RoomCodec{}.Encode(build([]int{9, 3, 7, 1, 5, 2, 8, 4, 6}))
	if !bytes.Equal(a, b) {
		t.Fatalf("one row, two encodings:\n%x\n%x", a, b)
	}
}

// TestRoomBinarySize holds a room of ten with its latest window full to a
// quarter of its JSON (version 2), the reason for the binary form: 747
// bytes against 3,570.
func TestRoomBinarySize(t *testing.T) {
	s := NewRoomState("room-042")
	s.Reads = map[string]*ReadMark{}
	for i := range 10 {
		u := fmt.Sprintf("bench-1a2b3c4d-%d", i)
		s.Members[u] = map[string]string{fmt.Sprintf("%016x", i*7919): "bench"}
		s.Reads[u] = &ReadMark{Cursor: 123400 + int64(i), Count: int64(i)}
	}
	for i := range LatestKeep {
		s.AddMessage(int64(123456 + 3*i))
		s.Latest = append(s.Latest, LatestMessage{Cursor: int64(123456 + 3*i), User: fmt.Sprintf("bench-1a2b3c4d-%d", i%10)})
	}
	s.Cursor, s.Created, s.Updated = 123456+3*LatestKeep, "2026-12-07T10:00:00.000Z", "2026-12-07T10:05:00.000Z"
	bin := roundTrip(t, s)
	js, err := json.Marshal(s, encodeOptions)
	if err != nil {
		t.Fatal(err)
	}
	if 4*len(bin) > len(js) {
		t.Fatalf("binary row %d bytes, JSON %d: want at most a quarter", len(bin), len(js))
	}
}

func TestRoomBinaryEncodeRefuses(t *testing.T) {
	for name, s := range map[string]*RoomState{
		"nil read mark":      {Reads: map[string]*ReadMark{"al": nil}},
		"invalid room":       {Room: "r\xff"},
		"invalid session":    {Members: map[string]map[string]string{"u": {"s\xfe": "h"}}},
		"invalid latest":     {Latest: []LatestMessage{{User: "é"[:1]}}},
		"invalid moderators": {Moderators: []string{"\xed\xa0\x80"}},
	} {
		if b, err := (RoomCodec{}).Encode(s); err == nil {
			t.Errorf("%s: encoded as %x", name, b)
		}
	}
}

// TestRoomBinaryDecodeRefuses flips, cuts and extends a valid row: every
// cut and every extension is refused, and so is each corruption named.
func TestRoomBinaryDecodeRefuses(t *testing.T) {
	s := &RoomState{Room: "r", Cursor: 9, Messages: 2, Members: map[string]map[string]string{"al": {"s1": "h", "s2": "h"}, "bo": {"s": "h"}},
		Marks: []int64{1}, Reads: map[string]*ReadMark{"al": {Cursor: 1}, "bo": {Cursor: 2}},
		Latest: []LatestMessage{{Cursor: 1, User: "al"}, {Cursor: 9, User: "bo", Mentioned: []string{"al"}}}, Private: true}
	good := roundTrip(t, s)
	refuse := func(why string, b []byte) {
		t.Helper()
		if v, err := (RoomCodec{}).Decode(b); !errors.Is(err, ErrDecode) {
			t.Errorf("%s: %x decoded as %+v, %v", why, b, v, err)
		}
	}
	for n := range len(good) {
		refuse(fmt.Sprint("cut at ", n), good[:n])
	}
	refuse("trailing byte", append(bytes.Clone(good), 0))
	replace := func(old, new []byte) []byte {
		t.Helper()
		if bytes.Count(good, old) != 1 {
			t.Fatalf("%x is not once in %x", old, good)
		}
		return bytes.Replace(good, old, new, 1)
	}
	refuse("version 4", replace([]byte{0, 3, 1, 'r'}, []byte{0, 4, 1, 'r'}))
	// Readers al and bo, then members: al (reader 1) with sessions s1 and
	// s2, bo (reader 2) with s.
	refuse("readers out of order", replace([]byte("\x02al\x02\x00\x00\x02bo"), []byte("\x02bo\x02\x00\x00\x02al")))
	refuse("members out of order", replace([]byte("\x02\x01\x02\x02s1\x01h\x02s2\x01h\x02\x01"), []byte("\x02\x02\x02\x02s1\x01h\x02s2\x01h\x01\x01")))
	refuse("a member twice", replace([]byte("\x02s2\x01h\x02\x01"), []byte("\x02s2\x01h\x01\x01")))
	refuse("a session twice", replace([]byte("\x02s1\x01h\x02s2"), []byte("\x02s2\x01h\x02s2")))
	refuse("invalid UTF-8", replace([]byte("\x02s1"), []byte("\x02s\xff")))
	// The second latest message: cursor delta 8, user reader 2 (bo),
	// one mention, reader 1 (al); then the rules, private set.
	refuse("reader index out of range", replace([]byte{0x10, 2, 1, 1}, []byte{0x10, 3, 1, 1}))
	refuse("a reader's name written out", replace([]byte{0x10, 2, 1, 1}, []byte{0x10, 0, 2, 'b', 'o', 1, 1}))
	refuse("private neither 0 nor 1", replace([]byte{1, 1, 0, 0, 1, 0}, []byte{1, 1, 0, 0, 2, 0}))
	refuse("overlong varint", replace([]byte{0, 3, 1, 'r', 0x12}, []byte{0, 3, 1, 'r', 0x92, 0x00}))
	refuse("count past the end", replace([]byte{0, 3, 1, 'r'}, []byte{0, 3, 0x7f, 'r'}))
	refuse("JSON version 3", []byte(`{"v":3,"room":"r","cursor":1,"members":{},"messages":0,"created":"","updated":"","marks":[]}`))
	refuse("JSON null read mark", []byte(`{"v":2,"room":"r","cursor":1,"members":{},"messages":0,"created":"","updated":"","marks":[],"reads":{"al":null}}`))
	refuse("null", []byte("null"))
}

// TestRoomRowVersion2 reads a JSON row as the builds before version 3 wrote
// it: the same row, of the current version, which encodes as binary.
func TestRoomRowVersion2(t *testing.T) {
	raw := `{"v":2,"room":"lobby","cursor":42,"members":{"al":{"s1":"h1"},"bo":null},"messages":3,"created":"c","updated":"u","marks":[5],` +
		`"reads":{"al":{"cursor":40,"count":1,"mentions":1},"bo":{"cursor":-1,"count":0,"mentions":0}},"latest":[{"c":41,"u":"bo","m":["al"]},{"c":42,"u":"al"}],` +
		`"owner":"al","moderators":["bo"],"private":true,"topic":"t","invited":["cy"],"banned":["di"],"muted":["ed"]}`
	v, err := RoomCodec{}.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := &RoomState{V: RoomVersion, Room: "lobby", Cursor: 42, Members: map[string]map[string]string{"al": {"s1": "h1"}, "bo": nil}, Messages: 3,
		Created: "c", Updated: "u", Marks: []int64{5}, Reads: map[string]*ReadMark{"al": {Cursor: 40, Count: 1, Mentions: 1}, "bo": {Cursor: -1}},
		Latest: []LatestMessage{{Cursor: 41, User: "bo", Mentioned: []string{"al"}}, {Cursor: 42, User: "al"}},
		Owner:  "al", Moderators: []string{"bo"}, Private: true, Topic: "t", Invited: []string{"cy"}, Banned: []string{"di"}, Muted: []string{"ed"}}
	if got := AsRoom(v); !reflect.DeepEqual(got, want) {
		t.Fatalf("version 2 row read as\n%+v\nwant\n%+v", got, want)
	}
	if b := roundTrip(t, AsRoom(v)); b[0] != binaryMark {
		t.Fatalf("rewritten as %q", b)
	}
}

// TestEncodeConcurrent shares the encoders' pools between goroutines, for
// -race.
func TestEncodeConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				s := NewRoomState(fmt.Sprint(g))
				s.Reads = map[string]*ReadMark{}
				for j := range i % 13 {
					u := strings.Repeat("u", j+1)
					s.Members[u] = map[string]string{fmt.Sprint(i): fmt.Sprint(g)}
					s.Reads[u] = &ReadMark{Count: int64(j)}
					s.Latest = append(s.Latest, LatestMessage{Cursor: int64(j), User: u})
				}
				u := NewUserState(fmt.Sprint(g))
				u.Rooms[fmt.Sprint(i)] = &UserRoom{Sessions: map[string]string{"s": "h"}}
				b, err := RoomCodec{}.Encode(s)
				v, derr := RoomCodec{}.Decode(b)
				gotU, errU := encodeUser(u)
				wantU, wantErrU := json.Marshal(u, encodeOptions)
				if err != nil || derr != nil || !reflect.DeepEqual(AsRoom(v), normalized(s)) || !bytes.Equal(gotU, wantU) || errU != nil || wantErrU != nil {
					t.Errorf("concurrent encode differs: %x %s", b, gotU)
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzRoomEncode builds rows from fuzzed strings: users, sessions and
// servers are lists split at '|', and bits of shape choose nil or empty
// maps and slices. Each row round-trips, or is refused for what the
// encoder refuses: a nil read mark or invalid UTF-8.
func FuzzRoomEncode(f *testing.F) {
	f.Add("lobby", "alice|bob", "s1|s2", "h1", "2026-01-01T00:00:00.000Z", int64(7), int64(1), uint8(0x30))
	f.Add("lobby", "alice|bob|carol", "s1", "", "alice", int64(7), int64(1), uint8(0xc0))
	f.Add("", "", "", "", "", int64(-1), int64(0), uint8(0x07))
	f.Add("r\u2028", "!|\"|#|\uffff|\U00010000", "<|>|&", "\x00\x7f", "\\", int64(-9223372036854775808), int64(9223372036854775807), uint8(0xfa))
	f.Add("bad\xff", "a|b\xfe", "s", "h", "t", int64(1), int64(2), uint8(0x12))
	f.Fuzz(func(t *testing.T, room, users, sessions, servers, ts string, cursor, messages int64, shape uint8) {
		s := &RoomState{V: int(cursor % 3), Room: room, Cursor: cursor, Messages: messages, Created: ts, Updated: servers}
		if shape&1 == 0 {
			s.Members = map[string]map[string]string{}
			sv, ids := strings.Split(servers, "|"), strings.Split(sessions, "|")
			for i, u := range strings.Split(users, "|") {
				if shape&2 != 0 && i%2 == 1 {
					s.Members[u] = nil
					continue
				}
				ss := map[string]string{}
				for j, id := range ids[:min(i%4, len(ids))] {
					ss[id] = sv[(i+j)%len(sv)]
				}
				s.Members[u] = ss
			}
		}
		if shape&4 == 0 {
			s.Marks = []int64{}
			for i := range int(shape >> 4) {
				s.Marks = append(s.Marks, cursor-int64(i)*messages)
			}
		}
		if shape&8 == 0 {
			s.Reads = map[string]*ReadMark{}
			ms := strings.Split(sessions, "|")
			for i, u := range strings.Split(users, "|") {
				if shape&2 != 0 && i%3 == 2 {
					s.Reads[u] = nil
					continue
				}
				s.Reads[u] = &ReadMark{Cursor: cursor - int64(i), Count: messages, Mentions: int64(i)}
				s.Latest = append(s.Latest, LatestMessage{Cursor: cursor + int64(i), User: u, Mentioned: ms[:min(i%3, len(ms))]})
			}
		}
		if shape&0x40 != 0 {
			list := strings.Split(users, "|")
			s.Owner, s.Topic, s.Private = ts, sessions, shape&0x80 != 0
			s.Moderators, s.Invited = list[:min(1, len(list))], list
			s.Banned, s.Muted, s.DM = strings.Split(sessions, "|"), strings.Split(servers, "|"), list[len(list)/2:]
		}
		nilMark := false
		for _, r := range s.Reads {
			nilMark = nilMark || r == nil
		}
		valid := true
		for _, x := range roomStrings(s) {
			valid = valid && utf8.ValidString(x)
		}
		b, err := RoomCodec{}.Encode(s)
		if (err == nil) != (valid && !nilMark) {
			t.Fatalf("Encode = %x, %v; valid UTF-8 %v, a nil read mark %v", b, err, valid, nilMark)
		}
		if err == nil {
			roundTrip(t, s)
		}
		// The table's codec, the second time with what it remembers of
		// the first.
		tc := NewRoomTableCodec(1 << 20)
		for range 2 {
			got, gerr := tc.Encode(s)
			if !bytes.Equal(got, b) || (gerr == nil) != (err == nil) {
				t.Fatalf("table codec %x, %v; RoomCodec %x, %v", got, gerr, b, err)
			}
		}
		// And after one more message by the owner, whose name may or may
		// not be among the remembered readers.
		next := int64(0)
		if n := len(s.Latest); n > 0 {
			next = s.Latest[n-1].Cursor + 1
		}
		s.Latest = append(s.Latest, LatestMessage{Cursor: next, User: s.Owner})
		got, gerr := tc.Encode(s)
		want, werr := RoomCodec{}.Encode(s)
		if !bytes.Equal(got, want) || (gerr == nil) != (werr == nil) {
			t.Fatalf("after a message: table codec %x, %v; RoomCodec %x, %v", got, gerr, want, werr)
		}
	})
}

// roomStrings returns every string of s.
func roomStrings(s *RoomState) []string {
	out := []string{s.Room, s.Created, s.Updated, s.Owner, s.Topic}
	for u, ss := range s.Members {
		out = append(out, u)
		for id, srv := range ss {
			out = append(out, id, srv)
		}
	}
	for u := range s.Reads {
		out = append(out, u)
	}
	for _, m := range s.Latest {
		out = append(append(out, m.User), m.Mentioned...)
	}
	for _, l := range [][]string{s.Moderators, s.Invited, s.Banned, s.Muted, s.DM} {
		out = append(out, l...)
	}
	return out
}

// FuzzRoomDecode decodes arbitrary bytes: never a panic, and a row it takes
// encodes to the same bytes (one encoding per row).
func FuzzRoomDecode(f *testing.F) {
	for _, s := range []*RoomState{NewRoomState("lobby"), {Room: "r", Cursor: 9, Messages: 2, Members: map[string]map[string]string{"al": {"s1": "h", "s2": "h"}, "zed": {"s": "h"}},
		Marks: []int64{1, 40}, Reads: map[string]*ReadMark{"al": {Cursor: 1}, "bo": {Cursor: 2, Count: 3, Mentions: 1}},
		Latest: []LatestMessage{{Cursor: 1, User: "al"}, {Cursor: 9, User: "cy", Mentioned: []string{"al", "dee"}}}, Private: true, Owner: "al", DM: []string{"a", "b"}}} {
		b, err := RoomCodec{}.Encode(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || b[0] != binaryMark {
			return // JSON, the decoder of versions 1 and 2
		}
		v, err := RoomCodec{}.Decode(b)
		if err != nil {
			if !errors.Is(err, ErrDecode) {
				t.Fatalf("error %v does not wrap ErrDecode", err)
			}
			return
		}
		again, err := RoomCodec{}.Encode(v)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded %x as %+v, which encodes as %x, %v", b, v, again, err)
		}
	})
}

// TestRoomTableCodec encodes a room through a life of changes with the
// table's codec, which remembers its sorted users, and with RoomCodec: the
// bytes are the same at every step, also when a user is swapped for another
// and the maps keep their sizes.
func TestRoomTableCodec(t *testing.T) {
	c := NewRoomTableCodec(1 << 10)
	s := NewRoomState("lobby")
	s.Reads = map[string]*ReadMark{}
	step := func(what string) {
		t.Helper()
		for range 2 { // the second time with what the first left
			got, err := c.Encode(s)
			want, werr := RoomCodec{}.Encode(s)
			if err != nil || werr != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: table codec %x, %v; RoomCodec %x, %v", what, got, err, want, werr)
			}
		}
	}
	step("new")
	for i := range 12 {
		u := fmt.Sprint("user-", i)
		s.Members[u] = map[string]string{"s": "h"}
		s.Reads[u] = &ReadMark{Cursor: int64(i)}
		step("join " + u)
	}
	delete(s.Members, "user-3")
	s.Members["user-30"] = map[string]string{"s": "h"}
	step("a member swapped, as many members")
	delete(s.Reads, "user-5")
	s.Reads["user-50"] = &ReadMark{}
	step("a reader swapped, as many readers")
	s.Latest = append(s.Latest, LatestMessage{Cursor: 7, User: "user-50", Mentioned: []string{"user-7", "nobody"}})
	step("a message")
	clear(s.Members)
	step("everyone left")
	s.Reads = nil
	step("no read state")
}

// TestRoomTableCodecBounded: the codec holds at most its bound, and
// nothing of a row over a sixteenth of it.
func TestRoomTableCodecBounded(t *testing.T) {
	c := NewRoomTableCodec(64)
	for r := range 100 {
		s := NewRoomState(fmt.Sprint("room-", r))
		for i := range r % 6 {
			s.Members[fmt.Sprint("user-", i)] = map[string]string{"s": "h"}
		}
		if _, err := c.Encode(s); err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		n, held := c.n, 0
		for _, k := range c.keys {
			held += k.size()
			if k.size() > 64/16 {
				t.Errorf("room-%d: holds %d users of one room, over a sixteenth of 64", r, k.size())
			}
		}
		c.mu.Unlock()
		if n != held || n > 64 {
			t.Fatalf("room-%d: counts %d, holds %d, bound 64", r, n, held)
		}
	}
}

// TestRoomTableCodecConcurrent encodes rooms from several goroutines, for
// -race, each row checked against RoomCodec's.
func TestRoomTableCodecConcurrent(t *testing.T) {
	c := NewRoomTableCodec(1 << 8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				s := NewRoomState(fmt.Sprint("room-", (g+i)%5))
				for j := range i % 9 {
					s.Members[fmt.Sprint("u", j, "-", g)] = map[string]string{"s": "h"}
				}
				got, err := c.Encode(s)
				want, _ := RoomCodec{}.Encode(s)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("concurrent encode differs: %x, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
