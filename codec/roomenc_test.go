package codec

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/go-json-experiment/json"
)

// sameAsMarshal fails t unless got and gotErr are what json.Marshal with
// encodeOptions returns for v: the same bytes (Marshal returns the output
// written so far along with its error) and the same error text.
func sameAsMarshal(t *testing.T, v any, got []byte, gotErr error) {
	t.Helper()
	want, wantErr := json.Marshal(v, encodeOptions)
	if !bytes.Equal(got, want) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("hand encoder differs from json.Marshal for %#v:\n got  %q, %v\n want %q, %v", v, got, gotErr, want, wantErr)
	}
}

// awkward are strings whose quoting or order json v2 could get wrong: keys
// that sort differently raw, escaped or in UTF-16 ("!" < "\"" < "#" raw
// but not escaped; U+FFFF < U+10000 in UTF-8 but not in UTF-16), HTML and
// JavaScript characters (not escaped by v2), controls, DEL and U+FFFD.
var awkward = []string{"", "!", "\"", "#", "\\", "/", "<b>&amp;</b>", "\u2028\u2029", "\x00\x01\x1f\x7f",
	"\b\f\n\r\t", "\uffff", "\U00010000", "\ufffd", "é", "e\u0301", "a", "A", "aa", "a\x00"}

func TestEncodeRoomExact(t *testing.T) {
	full := &RoomState{V: 2, Room: "lobby", Cursor: 42, Messages: 3, Created: "c", Updated: "u", Marks: []int64{-1, 0, 9223372036854775807},
		Members: map[string]map[string]string{"bob": {"s2": "h2", "s1": "h1"}, "alice": nil, "carol": {}, "\"q\"": {"<": "\u2028"}}}
	cases := []struct {
		name string
		s    *RoomState
		want string
	}{
		{"nil pointer", nil, `null`},
		{"zero", &RoomState{}, `{"v":0,"room":"","cursor":0,"members":null,"messages":0,"created":"","updated":"","marks":null}`},
		{"new", NewRoomState("r"), `{"v":2,"room":"r","cursor":-1,"members":{},"messages":0,"created":"","updated":"","marks":null}`},
		{"empty marks", &RoomState{Marks: []int64{}}, `{"v":0,"room":"","cursor":0,"members":null,"messages":0,"created":"","updated":"","marks":[]}`},
		{"full", full, `{"v":2,"room":"lobby","cursor":42,"members":{"\"q\"":{"<":"` + "\u2028" + `"},"alice":null,"bob":{"s1":"h1","s2":"h2"},"carol":{}},"messages":3,"created":"c","updated":"u","marks":[-1,0,9223372036854775807]}`},
		{"raw byte order", &RoomState{Members: map[string]map[string]string{"#": nil, "\"": nil, "!": nil, "\U00010000": nil, "\uffff": nil}},
			`{"v":0,"room":"","cursor":0,"members":{"!":null,"\"":null,"#":null,"` + "\uffff" + `":null,"` + "\U00010000" + `":null},"messages":0,"created":"","updated":"","marks":null}`},
		{"read state", &RoomState{Reads: map[string]*ReadMark{"bob": {Cursor: 3, Count: 2, Mentions: 1}, "al": {Cursor: -1}, "z": nil},
			Latest: []LatestMessage{{Cursor: 4, User: "al", Mentioned: []string{"bob", "z"}}, {Cursor: 5, User: "bob", Mentioned: []string{}}}},
			`{"v":0,"room":"","cursor":0,"members":null,"messages":0,"created":"","updated":"","marks":null,"reads":{"al":{"cursor":-1,"count":0,"mentions":0},"bob":{"cursor":3,"count":2,"mentions":1},"z":null},"latest":[{"c":4,"u":"al","m":["bob","z"]},{"c":5,"u":"bob"}]}`},
		{"empty read state", &RoomState{Reads: map[string]*ReadMark{}, Latest: []LatestMessage{}},
			`{"v":0,"room":"","cursor":0,"members":null,"messages":0,"created":"","updated":"","marks":null}`},
		{"rules", &RoomState{Owner: "al", Moderators: []string{"bo", "cy"}, Private: true, Topic: "plans <&>", Invited: []string{"di"}, Banned: []string{"ed", "\"q"}, Muted: []string{"fi"}, DM: []string{"al", "bo"}},
			`{"v":0,"room":"","cursor":0,"members":null,"messages":0,"created":"","updated":"","marks":null,"owner":"al","moderators":["bo","cy"],"private":true,"topic":"plans <&>","invited":["di"],"banned":["ed","\"q"],"muted":["fi"],"dm":["al","bo"]}`},
		{"empty rules", &RoomState{Moderators: []string{}, Invited: []string{}, Banned: []string{}, Muted: []string{}, DM: []string{}},
			`{"v":0,"room":"","cursor":0,"members":null,"messages":0,"created":"","updated":"","marks":null}`},
		{"escapes", &RoomState{Room: "\x00\x1f\x7f\t\"\\/<>&"}, `{"v":0,"room":"\u0000\u001f` + "\x7f" + `\t\"\\/<>&","cursor":0,"members":null,"messages":0,"created":"","updated":"","marks":null}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := RoomCodec{}.Encode(c.s)
			if err != nil || string(got) != c.want {
				t.Fatalf("Encode = %s, %v\nwant     %s", got, err, c.want)
			}
			sameAsMarshal(t, c.s, got, err)
		})
	}
}

// TestEncodeRoomLikeMarshal compares with Marshal on every awkward string in
// every string of the row, and on invalid UTF-8 anywhere, where both fail.
func TestEncodeRoomLikeMarshal(t *testing.T) {
	members := map[string]map[string]string{}
	for i, k := range awkward {
		members[k] = map[string]string{k: k, awkward[(i+1)%len(awkward)]: "x"}
	}
	check := func(s *RoomState) {
		t.Helper()
		got, err := encodeRoom(s)
		sameAsMarshal(t, s, got, err)
	}
	check(&RoomState{V: 2, Members: members, Marks: []int64{1}})
	for _, k := range append(awkward, "\xff", "ok\xfe", "\xed\xa0\x80", "\xc0\xaf", "é"[:1]) {
		check(&RoomState{Room: k, Created: k, Updated: k})
		check(&RoomState{Created: k})
		check(&RoomState{Updated: k})
		check(&RoomState{Members: map[string]map[string]string{k: nil}})
		check(&RoomState{Members: map[string]map[string]string{k: nil, "a": nil, "z": {}}})
		check(&RoomState{Members: map[string]map[string]string{"u": {k: "h"}}})
		check(&RoomState{Members: map[string]map[string]string{"u": {"s": k, "t": "ok"}}})
		check(&RoomState{Reads: map[string]*ReadMark{k: {Count: 1}, "a": nil}})
		check(&RoomState{Latest: []LatestMessage{{User: "a"}, {User: k, Mentioned: []string{"b", k}}}})
		check(&RoomState{Owner: k, Topic: k, Moderators: []string{k}, Invited: []string{"a", k}, Banned: []string{k}, Muted: []string{k, k}, DM: []string{k}})
	}
}

// TestObjectClearsKeys checks that no key stays on the pooled stack, where
// it would pin its map's strings, also when inner objects grew the stack.
func TestObjectClearsKeys(t *testing.T) {
	m := map[string]map[string]string{}
	for _, u := range []string{"a", "b", "c"} {
		m[u] = map[string]string{u + "1": "h", u + "2": "h", u + "3": "h"}
	}
	a := &appender{}
	object(a, m, (*appender).strMap, nil)
	if len(a.keys) != 0 || string(a.b) != `{"a":{"a1":"h","a2":"h","a3":"h"},"b":{"b1":"h","b2":"h","b3":"h"},"c":{"c1":"h","c2":"h","c3":"h"}}` {
		t.Fatalf("object wrote %s and left %q", a.b, a.keys)
	}
	for i, k := range a.keys[:cap(a.keys)] {
		if k != "" {
			t.Fatalf("a.keys[%d] = %q after the encode", i, k)
		}
	}
}

// TestEncodeConcurrent shares the pool between goroutines, for -race.
func TestEncodeConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				s := NewRoomState(fmt.Sprint(g))
				for j := range i % 13 {
					s.Members[strings.Repeat("u", j+1)] = map[string]string{fmt.Sprint(i): fmt.Sprint(g)}
				}
				u := NewUserState(fmt.Sprint(g))
				u.Rooms[fmt.Sprint(i)] = &UserRoom{Sessions: map[string]string{"s": "h"}}
				got, err := encodeRoom(s)
				want, wantErr := json.Marshal(s, encodeOptions)
				gotU, errU := encodeUser(u)
				wantU, wantErrU := json.Marshal(u, encodeOptions)
				if !bytes.Equal(got, want) || err != nil || wantErr != nil || !bytes.Equal(gotU, wantU) || errU != nil || wantErrU != nil {
					t.Errorf("concurrent encode differs: %s %s", got, gotU)
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzRoomEncode builds rows from fuzzed strings: users, sessions and
// servers are lists split at '|', and bits of shape choose nil or empty
// maps and slices.
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
		got, err := RoomCodec{}.Encode(s)
		sameAsMarshal(t, s, got, err)
		// The table's codec, the second time with what it remembers of
		// the first.
		tc := NewRoomTableCodec(1 << 20)
		for range 2 {
			got, err := tc.Encode(s)
			sameAsMarshal(t, s, got, err)
		}
	})
}
