package codec

import (
	"strings"
	"testing"
)

func TestEncodeUserExact(t *testing.T) {
	cases := []struct {
		name string
		s    *UserState
		want string
	}{
		{"nil pointer", nil, `null`},
		{"zero", &UserState{}, `{"v":0,"user":"","rooms":null,"last_seen":""}`},
		{"new", NewUserState("alice"), `{"v":1,"user":"alice","rooms":{},"last_seen":""}`},
		{"rooms", &UserState{V: 1, User: "u", LastSeen: "t", Rooms: map[string]*UserRoom{
			"z": {Applied: -1}, "b": nil, "a": {Sessions: map[string]string{}, Applied: 3},
			"\"": {Sessions: map[string]string{"s2": "h", "s1": "\u2028<"}, Applied: 9}}},
			`{"v":1,"user":"u","rooms":{"\"":{"sessions":{"s1":"` + "\u2028" + `<","s2":"h"},"applied":9},"a":{"applied":3},"b":null,"z":{"applied":-1}},"last_seen":"t"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := UserCodec{}.Encode(c.s)
			if err != nil || string(got) != c.want {
				t.Fatalf("Encode = %s, %v\nwant     %s", got, err, c.want)
			}
			sameAsMarshal(t, c.s, got, err)
		})
	}
}

func TestEncodeUserLikeMarshal(t *testing.T) {
	rooms := map[string]*UserRoom{}
	for i, k := range awkward {
		rooms[k] = &UserRoom{Sessions: map[string]string{k: k, awkward[(i+1)%len(awkward)]: ""}, Applied: int64(i)}
	}
	check := func(s *UserState) {
		t.Helper()
		got, err := encodeUser(s)
		sameAsMarshal(t, s, got, err)
	}
	check(&UserState{V: 1, Rooms: rooms})
	for _, k := range append(awkward, "\xff", "ok\xfe", "\xed\xa0\x80") {
		check(&UserState{User: k, LastSeen: k})
		check(&UserState{LastSeen: k})
		check(&UserState{Rooms: map[string]*UserRoom{k: nil, "m": {}}})
		check(&UserState{Rooms: map[string]*UserRoom{"r": {Sessions: map[string]string{k: "h", "t": k}}}})
	}
}

// FuzzUserEncode builds rows from fuzzed strings: rooms and sessions are
// lists split at '|', and bits of shape choose nil or empty maps and nil
// rooms.
func FuzzUserEncode(f *testing.F) {
	f.Add("alice", "room-0|room-1", "s1|s2", "h", "2026-01-02T00:00:00.000Z", int64(1000), uint8(0))
	f.Add("", "", "", "", "", int64(-1), uint8(0x01))
	f.Add("\u2028", "!|\"|#|\uffff|\U00010000", "<|>|&", "\x00\x7f", "\\", int64(-9223372036854775808), uint8(0x0e))
	f.Add("u", "r\xff|s", "a", "b", "t", int64(5), uint8(0x02))
	f.Fuzz(func(t *testing.T, user, rooms, sessions, server, seen string, applied int64, shape uint8) {
		s := &UserState{V: int(applied % 3), User: user, LastSeen: seen}
		if shape&1 == 0 {
			s.Rooms = map[string]*UserRoom{}
			ids := strings.Split(sessions, "|")
			for i, r := range strings.Split(rooms, "|") {
				switch {
				case shape&2 != 0 && i%3 == 1:
					s.Rooms[r] = nil
				case shape&4 != 0 && i%3 == 2:
					s.Rooms[r] = &UserRoom{Applied: applied} // nil Sessions
				default:
					ur := &UserRoom{Sessions: map[string]string{}, Applied: applied - int64(i)}
					for _, id := range ids[:min(i%4, len(ids))] {
						ur.Sessions[id] = server
					}
					s.Rooms[r] = ur
				}
			}
		}
		got, err := UserCodec{}.Encode(s)
		sameAsMarshal(t, s, got, err)
	})
}
