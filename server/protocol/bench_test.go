package protocol

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chatstate/chatstate/codec"
)

// The benchmarks of this file measure the encoding of event and snapshot
// frames and the decoding of a client's send: the protocol's share of the
// server's hot paths. Run them with
//
//	go test -run '^$' -bench . -benchmem ./server/protocol

// benchEvent is a message event with a text of 200 bytes.
func benchEvent(room string) *codec.Event {
	e := codec.NewEvent(codec.Message, room, "alice")
	e.Text = strings.Repeat("x", 200)
	e.Server = "bench"
	return &e
}

// BenchmarkEncodeEventFrame is the one encoding of an event frame that each
// dispatch does, with a 200-byte text.
func BenchmarkEncodeEventFrame(b *testing.B) {
	e := benchEvent("lobby")
	b.ReportAllocs()
	var size int
	for i := range b.N {
		size = len(EncodeEvent(int64(i), e))
	}
	b.ReportMetric(float64(size), "B/frame")
}

// benchRoom is a room of members users, one session each, with a full
// history window.
func benchRoom(members int) *codec.RoomState {
	r := codec.NewRoomState("lobby")
	for i := range members {
		r.Members[fmt.Sprintf("user-%04d", i)] = map[string]string{codec.NewID(): "server-1/" + codec.NewID()[:8]}
	}
	for i := range 5000 {
		r.AddMessage(int64(990_000 + 2*i))
	}
	r.Cursor = 1_001_000
	r.Created, r.Updated = "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"
	return r
}

// BenchmarkSnapshotFrame builds and encodes the snapshot a join answers,
// from a room of 100 members, without the Kafka reads: with no history,
// and with the default 50 messages of history.
func BenchmarkSnapshotFrame(b *testing.B) {
	room := benchRoom(100)
	e := benchEvent("lobby")
	for _, history := range []int{0, 50} {
		b.Run(fmt.Sprintf("members=100/history=%d", history), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for range b.N {
				snap := &SnapshotFrame{Op: "snapshot", Room: room.Room, Cursor: room.Cursor, Epoch: "epoch",
					Members: room.MemberList(), Messages: room.Messages}
				for k := range history {
					snap.Events = append(snap.Events, Entry{Cursor: room.Cursor - int64(2*(history-k)), Event: e.Public()})
				}
				snap.Events = Entries(snap.Events)
				size = len(MustJSON(snap))
			}
			b.ReportMetric(float64(size), "B/frame")
		})
	}
}

// BenchmarkDecodeClientFrame is the parse and check of a client's send with
// a 200-byte text: the first step of every message sent over WebSocket.
func BenchmarkDecodeClientFrame(b *testing.B) {
	frame := []byte(`{"op":"send","room":"lobby","ref":42,"text":"` + strings.Repeat("x", 200) + `"}`)
	b.ReportAllocs()
	for range b.N {
		if _, err := DecodeClientFrame(frame); err != nil {
			b.Fatal(err)
		}
	}
}
