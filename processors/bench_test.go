package processors_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
	"github.com/klauspost/compress/zstd"
	"github.com/lovoo/goka"
)

// The benchmarks of this file measure the fold functions and what the
// rooms and users callbacks do per record apart from Kafka and storage.
// Run them with
//
//	go test -run '^$' -bench . -benchmem ./processors
//
// BenchmarkGroupsOnBroker (broker_bench_test.go) measures the groups
// themselves on the embedded broker.

// benchRoomState is a room of members users with one session each and, if
// full, a history window of codec.HistoryLimit messages: the steady state
// of a busy room.
func benchRoomState(members int, full bool) *codec.RoomState {
	s := codec.NewRoomState("lobby")
	off := int64(1_000_000) // cursors of a log of a million events
	for i := range members {
		e := codec.NewEvent(codec.Join, "lobby", fmt.Sprintf("user-%d", i))
		e.Session, e.Server = codec.NewID(), "server-1/abcdef12"
		s, _, _ = processors.ApplyRoom(s, &e, off)
		off++
	}
	if full {
		m := benchMessage("user-0")
		for range codec.HistoryLimit {
			s, _, _ = processors.ApplyRoom(s, m, off)
			off++
		}
	}
	return s
}

func benchMessage(user string) *codec.Event {
	e := codec.NewEvent(codec.Message, "lobby", user)
	e.Text = strings.Repeat("x", 200)
	e.Server = "server-1"
	return &e
}

// BenchmarkApplyRoomMessage folds one message into a room: a fresh one, and
// one past HistoryLimit messages (its marks full: every MarkEvery-th message
// then drops the oldest mark).
func BenchmarkApplyRoomMessage(b *testing.B) {
	for _, full := range []bool{false, true} {
		b.Run(fmt.Sprintf("members=10/window-full=%v", full), func(b *testing.B) {
			s := benchRoomState(10, full)
			e := benchMessage("user-1")
			off := s.Cursor + 1
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				s, _, _ = processors.ApplyRoom(s, e, off)
				off++
			}
		})
	}
}

// BenchmarkApplyRoomJoinLeave folds a join and then a leave of a second
// session into a room of 100 members. One op is both events.
func BenchmarkApplyRoomJoinLeave(b *testing.B) {
	s := benchRoomState(100, false)
	join := codec.NewEvent(codec.Join, "lobby", "user-7")
	join.Session, join.Server = "second-session", "server-1/abcdef12"
	leave := join
	leave.Type = codec.Leave
	off := s.Cursor + 1
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s, _, _ = processors.ApplyRoom(s, &join, off)
		s, _, _ = processors.ApplyRoom(s, &leave, off+1)
		off += 2
	}
}

// BenchmarkApplyUser folds the presence record of a message (seen) into
// the row of a user online in one room.
func BenchmarkApplyUser(b *testing.B) {
	u := codec.NewUserState("alice")
	u, _ = processors.ApplyUser(u, &codec.Presence{V: codec.Version, Op: codec.AddSession, User: "alice", Room: "lobby",
		Session: "s1", Server: "server-1", Source: 0, TS: "2026-01-01T00:00:00.000Z"})
	p := &codec.Presence{V: codec.Version, Op: codec.Seen, User: "alice", Room: "lobby", TS: "2026-01-02T00:00:00.000Z"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p.Source = int64(i + 1)
		u, _ = processors.ApplyUser(u, p)
	}
}

// BenchmarkRoomsStep is the work of the rooms callback for one message,
// less Kafka and storage: decode and validate the event, decode the room's
// row (goka hands the callback a decoded value), fold, encode the row and
// the presence record. table-B/event is what it writes to Kafka per event
// (row and presence record), amplification that over the event's record.
func BenchmarkRoomsStep(b *testing.B) {
	roomsStep(b, false, func() goka.Codec { return codec.RoomCodec{} })
}

// BenchmarkRoomsStepGroupCodec is BenchmarkRoomsStep with the codec the
// rooms group persists its table with, as the callback meets it: goka
// decodes the bytes the previous event's row was encoded to, which that
// codec may remember. Each event folds into the row of the one before, so
// that the window of a room that was not full fills up as the room's does.
func BenchmarkRoomsStepGroupCodec(b *testing.B) {
	roomsStep(b, true, func() goka.Codec { return processors.RoomsGraph(kafka.NewNames("bench"), 0).GroupTable().Codec() })
}

// roomsStep runs BenchmarkRoomsStep with the table codec that tableCodec
// returns, on the row of the event before if chain, else on the first row
// every time.
func roomsStep(b *testing.B, chain bool, tableCodec func() goka.Codec) {
	for _, sh := range []struct {
		members int
		full    bool
	}{{10, false}, {10, true}, {100, true}} {
		b.Run(fmt.Sprintf("members=%d/window-full=%v", sh.members, sh.full), func(b *testing.B) {
			table := tableCodec()
			row, err := table.Encode(benchRoomState(sh.members, sh.full))
			if err != nil {
				b.Fatal(err)
			}
			raw, err := codec.EventCodec{}.Encode(benchMessage("user-1"))
			if err != nil {
				b.Fatal(err)
			}
			off := int64(2_000_000)
			var written int
			var last [][]byte
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				e, err := codec.DecodeEvent(raw)
				if err != nil {
					b.Fatal(err)
				}
				v, err := table.Decode(row)
				if err != nil {
					b.Fatal(err)
				}
				s, effects, _ := processors.ApplyRoom(codec.AsRoom(v), e, off)
				off++
				out, err := table.Encode(s)
				if err != nil {
					b.Fatal(err)
				}
				if chain {
					row = out
				}
				written, last = len(out), [][]byte{out}
				for i := range effects {
					p, err := codec.PresenceCodec{}.Encode(&effects[i])
					if err != nil {
						b.Fatal(err)
					}
					written += len(p)
					last = append(last, p)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(written), "table-B/event")
			b.ReportMetric(float64(written)/float64(len(raw)), "amplification")
			// The processors' producers compress with zstd at its fastest
			// level (as sarama's level 1 does); at the worst, each record is
			// a batch of its own.
			zw, err := zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderConcurrency(1),
				zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(1)))
			if err != nil {
				b.Fatal(err)
			}
			var zipped int
			for _, r := range last {
				zipped += len(zw.EncodeAll(r, nil))
			}
			b.ReportMetric(float64(zipped), "zstd-B/event")
			b.ReportMetric(float64(zipped)/float64(len(raw)), "zstd-amplification")
		})
	}
}

// BenchmarkUsersStep is the work of the users callback for one presence
// record, less Kafka and storage.
func BenchmarkUsersStep(b *testing.B) {
	u, _ := processors.ApplyUser(nil, &codec.Presence{V: codec.Version, Op: codec.AddSession, User: "alice", Room: "lobby",
		Session: "s1", Server: "server-1", Source: 0, TS: "2026-01-01T00:00:00.000Z"})
	row, err := codec.UserCodec{}.Encode(u)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := codec.PresenceCodec{}.Encode(&codec.Presence{V: codec.Version, Op: codec.Seen, User: "alice", Room: "lobby",
		Source: 5, TS: "2026-01-02T00:00:00.000Z"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		p, err := codec.DecodePresence(raw)
		if err != nil {
			b.Fatal(err)
		}
		v, err := codec.UserCodec{}.Decode(row)
		if err != nil {
			b.Fatal(err)
		}
		s, _ := processors.ApplyUser(codec.AsUser(v), p)
		if _, err := (codec.UserCodec{}).Encode(s); err != nil {
			b.Fatal(err)
		}
	}
}
