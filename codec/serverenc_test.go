package codec

import (
	"strings"
	"testing"
)

func TestEncodeServerExact(t *testing.T) {
	cases := []struct {
		name string
		s    *ServerState
		want string
	}{
		{"nil pointer", nil, `null`},
		{"zero", &ServerState{}, `{"v":0,"instance":"","server":"","beat":"","since":"","retired":false,"held":null}`},
		{"instance row", &ServerState{V: 1, Instance: "i1", Server: "s", Beat: "b", Since: "a", Retired: true, Held: map[string]Held{}},
			`{"v":1,"instance":"i1","server":"s","beat":"b","since":"a","retired":true,"held":{}}`},
		{"bucket row", &ServerState{V: 1, Instance: "i1", Bucket: "07", Held: map[string]Held{
			"lobby/s2": {Room: "lobby", User: "bob", Session: "s2"},
			"lobby/s1": {Room: "lobby", User: "al<i>ce", Session: "s1"},
			"\"/s3":    {},
		}}, `{"v":1,"instance":"i1","bucket":"07","server":"","beat":"","since":"","retired":false,"held":{"\"/s3":{"room":"","user":"","session":""},"lobby/s1":{"room":"lobby","user":"al<i>ce","session":"s1"},"lobby/s2":{"room":"lobby","user":"bob","session":"s2"}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ServerCodec{}.Encode(c.s)
			if err != nil || string(got) != c.want {
				t.Fatalf("Encode = %s, %v\nwant     %s", got, err, c.want)
			}
			sameAsMarshal(t, c.s, got, err)
			if c.s == nil {
				return
			}
			// What it writes, the codec reads back as it was (held as {}
			// where it was null, as Decode promises).
			if c.s.V != Version {
				return
			}
			back, err := ServerCodec{}.Decode(got)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if r := AsServer(back); r.Instance != c.s.Instance || r.Bucket != c.s.Bucket || len(r.Held) != len(c.s.Held) {
				t.Fatalf("Decode = %+v, want %+v", r, c.s)
			}
		})
	}
}

func TestEncodeServerLikeMarshal(t *testing.T) {
	held := map[string]Held{}
	for i, k := range awkward {
		held[k] = Held{Room: k, User: awkward[(i+1)%len(awkward)], Session: k}
	}
	check := func(s *ServerState) {
		t.Helper()
		got, err := encodeServer(s)
		sameAsMarshal(t, s, got, err)
	}
	check(&ServerState{V: 1, Held: held})
	for _, k := range append(awkward, "\xff", "ok\xfe", "\xed\xa0\x80") {
		check(&ServerState{Instance: k, Server: k, Beat: k, Since: k})
		check(&ServerState{Bucket: k, Retired: true})
		check(&ServerState{Held: map[string]Held{k: {}, "m": {Room: "r"}}})
		check(&ServerState{Held: map[string]Held{"r/s": {Room: k, User: k, Session: k}}})
	}
}

// FuzzServerEncode builds rows from fuzzed strings: the held sessions are a
// list split at '|', and bits of shape choose a nil or empty Held, a bucket
// and a retired instance.
func FuzzServerEncode(f *testing.F) {
	f.Add("i-1", "s", "lobby|room-1", "alice", "2026-01-02T00:00:00.000Z", uint8(0))
	f.Add("", "", "", "", "", uint8(0x01))
	f.Add("\u2028", "<&>", "!|\"|#|\uffff|\U00010000", "\x00\x7f", "\\", uint8(0x0e))
	f.Add("i\xff", "s", "r\xfe|x", "u", "t", uint8(0x06))
	f.Fuzz(func(t *testing.T, instance, server, rooms, user, ts string, shape uint8) {
		s := &ServerState{V: int(shape % 3), Instance: instance, Server: server, Beat: ts, Since: ts, Retired: shape&4 != 0}
		if shape&2 != 0 {
			s.Bucket = user
		}
		if shape&1 == 0 {
			s.Held = map[string]Held{}
			for i, r := range strings.Split(rooms, "|") {
				h := Held{Room: r, User: user, Session: strings.Repeat(ts, i%3)}
				s.Held[h.Key()] = h
			}
		}
		got, err := ServerCodec{}.Encode(s)
		sameAsMarshal(t, s, got, err)
	})
}
