package codec_test

import (
	stdjson "encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chatstate/chatstate/codec"
)

// The benchmarks of this file measure the codecs on the hot paths: every
// event is encoded once by the server and decoded (and validated) by the
// tail of every server, the rooms processor and every log read; every event
// makes the rooms processor decode and encode its room's row, and every
// presence record the users processor its user's row. B/row is the size
// of what goes to Kafka. Run them with
//
//	go test -run '^$' -bench . -benchmem ./codec

func benchMessage() *codec.Event {
	e := codec.NewEvent(codec.Message, "lobby", "alice")
	e.Text = strings.Repeat("x", 200)
	e.Server = "server-1"
	return &e
}

// benchRoom is a room of members users, one session each, that has seen
// recent messages (its history marks are full from codec.HistoryLimit on).
// With read state, every member reads the room and the row keeps its last
// min(recent, codec.LatestKeep) messages, every fourth mentioning a member,
// as the rooms group's rows do.
func benchRoom(members, recent int, reads bool) *codec.RoomState {
	r := codec.NewRoomState("lobby")
	user := func(i int) string { return fmt.Sprintf("bench-1a2b3c4d-%d", i%members) }
	for i := range members {
		r.Members[user(i)] = map[string]string{codec.NewID(): "server-1/" + codec.NewID()[:8]}
		if reads {
			if r.Reads == nil {
				r.Reads = map[string]*codec.ReadMark{}
			}
			r.Reads[user(i)] = &codec.ReadMark{Cursor: 999_000 + int64(i), Count: int64(i), Mentions: int64(i % 3)}
		}
	}
	for i := range recent {
		r.AddMessage(int64(1_000_000 + 3*i))
		if reads && recent-i <= codec.LatestKeep {
			m := codec.LatestMessage{Cursor: int64(1_000_000 + 3*i), User: user(i)}
			if i%4 == 0 {
				m.Mentioned = []string{user(i + 1)}
			}
			r.Latest = append(r.Latest, m)
		}
	}
	r.Cursor = 1_002_000
	r.Created, r.Updated = "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"
	return r
}

func BenchmarkEventEncode(b *testing.B) {
	e := benchMessage()
	b.ReportAllocs()
	var n int
	for range b.N {
		v, err := codec.EventCodec{}.Encode(e)
		if err != nil {
			b.Fatal(err)
		}
		n = len(v)
	}
	b.ReportMetric(float64(n), "B/record")
}

// BenchmarkEventDecode is DecodeEvent: strict decoding and validation.
func BenchmarkEventDecode(b *testing.B) {
	raw, err := codec.EventCodec{}.Encode(benchMessage())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		if _, err := codec.DecodeEvent(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventDecodeDistinct is DecodeEvent over 1024 different records,
// as the events topic holds: json.Unmarshal keeps a cache of short strings,
// which the one record of BenchmarkEventDecode always hits, and these
// records' ids, times and texts never do.
func BenchmarkEventDecodeDistinct(b *testing.B) {
	raws := make([][]byte, 1024)
	for i := range raws {
		e := benchMessage()
		e.Text = fmt.Sprintf("%04d%s", i, e.Text[4:])
		e.TS = fmt.Sprintf("2026-01-02T00:00:%02d.%03dZ", i/1000, i%1000)
		var err error
		if raws[i], err = (codec.EventCodec{}).Encode(e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for i := range b.N {
		if _, err := codec.DecodeEvent(raws[i%len(raws)]); err != nil {
			b.Fatal(err)
		}
	}
}

// roomShape is the shape of a benchRoom.
type roomShape struct {
	members, recent int
	reads           bool
}

var roomShapes = []roomShape{{10, 0, false}, {10, codec.HistoryLimit, false}, {100, codec.HistoryLimit, false},
	{10, codec.HistoryLimit, true}, {100, codec.HistoryLimit, true}}

func (sh roomShape) String() string {
	return fmt.Sprintf("members=%d/recent=%d/reads=%v", sh.members, sh.recent, sh.reads)
}

func BenchmarkRoomEncode(b *testing.B) {
	for _, sh := range roomShapes {
		b.Run(sh.String(), func(b *testing.B) {
			r := benchRoom(sh.members, sh.recent, sh.reads)
			b.ReportAllocs()
			var n int
			for range b.N {
				v, err := codec.RoomCodec{}.Encode(r)
				if err != nil {
					b.Fatal(err)
				}
				n = len(v)
			}
			b.ReportMetric(float64(n), "B/row")
		})
	}
}

func BenchmarkRoomDecode(b *testing.B) {
	for _, sh := range roomShapes {
		b.Run(sh.String(), func(b *testing.B) {
			raw, err := codec.RoomCodec{}.Encode(benchRoom(sh.members, sh.recent, sh.reads))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for range b.N {
				if _, err := (codec.RoomCodec{}).Decode(raw); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(raw)), "B/row")
		})
	}
}

func benchPresence() *codec.Presence {
	return &codec.Presence{V: codec.Version, Op: codec.Seen, User: "alice", Room: "lobby", Source: 1_002_000, TS: "2026-01-02T00:00:00.000Z"}
}

func BenchmarkPresenceEncode(b *testing.B) {
	p := benchPresence()
	b.ReportAllocs()
	var n int
	for range b.N {
		v, err := codec.PresenceCodec{}.Encode(p)
		if err != nil {
			b.Fatal(err)
		}
		n = len(v)
	}
	b.ReportMetric(float64(n), "B/record")
}

func BenchmarkPresenceDecode(b *testing.B) {
	raw, err := codec.PresenceCodec{}.Encode(benchPresence())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		if _, err := codec.DecodePresence(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// benchUser is a user seen in rooms rooms, online in one of them.
func benchUser(rooms int) *codec.UserState {
	u := codec.NewUserState("alice")
	for i := range rooms {
		u.Rooms[fmt.Sprintf("room-%d", i)] = &codec.UserRoom{Applied: int64(1000 + i)}
	}
	u.Rooms["room-0"].Sessions = map[string]string{codec.NewID(): "server-1/abcdef12"}
	u.LastSeen = "2026-01-02T00:00:00.000Z"
	return u
}

func BenchmarkUserEncode(b *testing.B) {
	for _, rooms := range []int{1, 20} {
		b.Run(fmt.Sprintf("rooms=%d", rooms), func(b *testing.B) {
			u := benchUser(rooms)
			b.ReportAllocs()
			var n int
			for range b.N {
				v, err := codec.UserCodec{}.Encode(u)
				if err != nil {
					b.Fatal(err)
				}
				n = len(v)
			}
			b.ReportMetric(float64(n), "B/row")
		})
	}
}

func BenchmarkUserDecode(b *testing.B) {
	for _, rooms := range []int{1, 20} {
		b.Run(fmt.Sprintf("rooms=%d", rooms), func(b *testing.B) {
			raw, err := codec.UserCodec{}.Encode(benchUser(rooms))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for range b.N {
				if _, err := (codec.UserCodec{}).Decode(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRoomEncodeEvolving encodes a row after each of its messages, as
// the rooms group does: each message moves the latest window by one and
// counts as unread for the readers. table is the group's codec, which
// remembers the row's sorted users from one encode to the next; plain is
// RoomCodec.
func BenchmarkRoomEncodeEvolving(b *testing.B) {
	for _, members := range []int{10, 100} {
		for _, c := range []struct {
			name  string
			codec interface{ Encode(any) ([]byte, error) }
		}{{"plain", codec.RoomCodec{}}, {"table", codec.NewRoomTableCodec(1 << 18)}} {
			b.Run(fmt.Sprintf("members=%d/%s", members, c.name), func(b *testing.B) {
				r := benchRoom(members, codec.HistoryLimit, true)
				b.ReportAllocs()
				var n int
				for i := range b.N {
					off := r.Cursor + 1
					u := fmt.Sprint("bench-1a2b3c4d-", i%members)
					r.Latest = append(r.Latest[1:], codec.LatestMessage{Cursor: off, User: u})
					for k, rm := range r.Reads {
						if k != u {
							rm.Count++
						}
					}
					r.Cursor, r.Messages = off, r.Messages+1
					v, err := c.codec.Encode(r)
					if err != nil {
						b.Fatal(err)
					}
					n = len(v)
				}
				b.ReportMetric(float64(n), "B/row")
			})
		}
	}
}

// BenchmarkEncodeServerBucket encodes a bucket row of 80 sessions, what a
// join rewrites on a server of 5,000 sessions, by the hand encoder and by
// json.Marshal of encoding/json as builds before wrote it.
func BenchmarkEncodeServerBucket(b *testing.B) {
	s := codec.NewBucketState("instance-1", 7)
	for i := range 80 {
		h := codec.Held{Room: fmt.Sprint("room-", i%50), User: fmt.Sprint("user-", i), Session: fmt.Sprintf("%016x", i*7919)}
		s.Held[h.Key()] = h
	}
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = codec.ServerCodec{}.Encode(s)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = stdjson.Marshal(s)
		}
	})
}
