package codec

import (
	"testing"
)

func TestEncodePresenceExact(t *testing.T) {
	cases := []struct {
		name string
		p    *Presence
		want string
	}{
		{"nil pointer", nil, `null`},
		{"zero", &Presence{}, `{"v":0,"op":"","user":"","room":"","source":0,"ts":""}`},
		{"seen", &Presence{V: 1, Op: Seen, User: "alice", Room: "lobby", Source: 1002000, TS: "2026-01-02T00:00:00.000Z"},
			`{"v":1,"op":"seen","user":"alice","room":"lobby","source":1002000,"ts":"2026-01-02T00:00:00.000Z"}`},
		{"add", &Presence{V: -1, Op: AddSession, User: "u", Room: "r", Session: "s", Server: "h", Source: -9223372036854775808, TS: "t"},
			`{"v":-1,"op":"add","user":"u","room":"r","session":"s","server":"h","source":-9223372036854775808,"ts":"t"}`},
		{"server only", &Presence{Server: "<&>\x00\u2029"}, `{"v":0,"op":"","user":"","room":"","server":"<&>\u0000` + "\u2029" + `","source":0,"ts":""}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := PresenceCodec{}.Encode(c.p)
			if err != nil || string(got) != c.want {
				t.Fatalf("Encode = %s, %v\nwant     %s", got, err, c.want)
			}
			sameAsMarshal(t, c.p, got, err)
		})
	}
}

func TestEncodePresenceLikeMarshal(t *testing.T) {
	for _, k := range append(awkward, "\xff", "ok\xfe", "\xed\xa0\x80") {
		for _, p := range []*Presence{{Op: PresenceOp(k)}, {User: k}, {Room: k}, {Session: k}, {Server: k}, {TS: k},
			{V: 1, Op: Seen, User: k, Room: k, Session: k, Server: k, Source: 1, TS: k}} {
			got, err := encodePresence(p)
			sameAsMarshal(t, p, got, err)
		}
	}
}

// FuzzPresenceEncode builds records from fuzzed fields.
func FuzzPresenceEncode(f *testing.F) {
	f.Add(1, "seen", "alice", "lobby", "", "", int64(1002000), "2026-01-02T00:00:00.000Z")
	f.Add(-7, "add", "u", "r", "s1", "srv/1", int64(-1), "")
	f.Add(0, "\u2028", "<b>", "\"\\", "\x00", "\x7f", int64(9223372036854775807), "é")
	f.Add(1, "remove", "u", "r", "s\xff", "h", int64(3), "t")
	f.Fuzz(func(t *testing.T, v int, op, user, room, session, server string, source int64, ts string) {
		p := &Presence{V: v, Op: PresenceOp(op), User: user, Room: room, Session: session, Server: server, Source: source, TS: ts}
		got, err := PresenceCodec{}.Encode(p)
		sameAsMarshal(t, p, got, err)
	})
}
