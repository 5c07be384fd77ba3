package replay_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/logread"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/replay"
)

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// neighbour returns a room other than room in the same partition.
func neighbour(room string, partitions int) string {
	for i := 0; ; i++ {
		if n := fmt.Sprint("noise-", i); kafka.Partition(n, partitions) == kafka.Partition(room, partitions) {
			return n
		}
	}
}

// TestRoomReplay checks a room's replay at every cursor, by time, from a
// row, and each refusal: beyond the end, before the room, too much to
// read, and what retention deleted.
func TestRoomReplay(t *testing.T) {
	cfg := testenv.Kafka(t, 2)
	w := newWriter(t, cfg)
	noise := neighbour("hist", cfg.Partitions)
	type step struct {
		cursor int64
		state  string // the expected state's JSON after it
		ts     string
	}
	var steps []step
	var s *codec.RoomState
	write := func(typ codec.EventType, user, session string) {
		off, e := w.event(typ, "hist", user, session)
		s, _, _ = processors.ApplyRoom(s, &e, off)
		steps = append(steps, step{off, jsonOf(t, s), e.TS})
		w.event(codec.Message, noise, "zed", "elsewhere") // another room in the partition
	}
	w.event(codec.Join, noise, "zed", "z1")
	write(codec.Join, "alice", "a1")
	write(codec.Message, "alice", "hello")
	write(codec.Join, "bob", "b1")
	write(codec.Message, "bob", "hi")
	write(codec.Leave, "alice", "a1")
	write(codec.Message, "bob", "bye")

	client := testenv.KafkaClient(t, cfg.Brokers, cfg.Sarama("test"))
	r := logread.New(client, cfg)
	ctx := context.Background()
	room := func(o replay.RoomOptions) (*replay.RoomResult, error) { return replay.Room(ctx, r, "hist", o) }
	last := steps[len(steps)-1]

	for i, st := range steps {
		// At the event's cursor, or at the next offset (another room's
		// event) for every other one.
		c := st.cursor + int64(i%2)
		res, err := room(replay.RoomOptions{Bound: replay.Bound{Cursor: c}, Events: true})
		if err != nil {
			t.Fatalf("cursor %d: %v", c, err)
		}
		if got := jsonOf(t, res.State); got != st.state || len(res.Events) != i+1 || res.Events[i].Cursor != st.cursor {
			t.Fatalf("cursor %d: %s with %d events, want %s", c, got, len(res.Events), st.state)
		}
		// By time: up to the event's ts, or a millisecond later (the other
		// room's event, before this room's next one).
		u, _ := codec.ParseTime(st.ts)
		u = u.Add(time.Duration(i%2) * time.Millisecond)
		res, err = room(replay.RoomOptions{Bound: replay.Bound{Cursor: replay.NoCursor, Until: u}})
		if err != nil || jsonOf(t, res.State) != st.state {
			t.Fatalf("until %v: %v %+v, want %s", u, err, res, st.state)
		}
	}
	// From a row: only what follows the row is read.
	var row codec.RoomState
	if err := json.Unmarshal([]byte(steps[2].state), &row); err != nil {
		t.Fatal(err)
	}
	res, err := room(replay.RoomOptions{Bound: replay.Bound{Cursor: replay.NoCursor}, Row: &row, FromRow: true})
	if err != nil || !res.FromRow || jsonOf(t, res.State) != last.state || res.Read != res.End-1-steps[2].cursor {
		t.Fatalf("from the row: %v %+v", err, res)
	}
	_ = json.Unmarshal([]byte(steps[2].state), &row)
	if res, err := room(replay.RoomOptions{Bound: replay.Bound{Cursor: replay.NoCursor}, Row: &row}); err != nil || res.FromRow || jsonOf(t, res.State) != last.state {
		t.Fatalf("with the row as a reference only: %v %+v", err, res)
	}

	for _, tc := range []struct {
		name string
		o    replay.RoomOptions
		want error
	}{
		{"beyond the end", replay.RoomOptions{Bound: replay.Bound{Cursor: last.cursor + 2}}, replay.ErrBeyondEnd},
		{"before the room", replay.RoomOptions{Bound: replay.Bound{Cursor: steps[0].cursor - 1}}, replay.ErrNoEvents},
		{"before its time", replay.RoomOptions{Bound: replay.Bound{Cursor: replay.NoCursor, Until: t0.Add(-time.Hour)}}, replay.ErrNoEvents},
		{"negative", replay.RoomOptions{Bound: replay.Bound{Cursor: -1}}, replay.ErrNoEvents},
		{"too much to read", replay.RoomOptions{Bound: replay.Bound{Cursor: last.cursor}, MaxRead: last.cursor}, replay.ErrTooMuch},
	} {
		if _, err := room(tc.o); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := room(replay.RoomOptions{Bound: replay.Bound{Cursor: last.cursor}, MaxRead: last.cursor + 1}); err != nil {
		t.Errorf("within the read limit: %v", err)
	}

	// Retention deletes the room's first two events.
	deleteBefore(t, cfg, kafka.Partition("hist", cfg.Partitions), steps[2].cursor)
	var final codec.RoomState
	_ = json.Unmarshal([]byte(last.state), &final)
	for _, tc := range []struct {
		name string
		o    replay.RoomOptions
		want error
	}{
		{"deleted cursor", replay.RoomOptions{Bound: replay.Bound{Cursor: steps[1].cursor}}, replay.ErrRetention},
		{"beginning deleted", replay.RoomOptions{Bound: replay.Bound{Cursor: steps[3].cursor}, Row: &final}, replay.ErrRetention},
		{"by time, beginning deleted", replay.RoomOptions{Bound: replay.Bound{Cursor: replay.NoCursor, Until: t0.Add(time.Hour)}, Row: &final}, replay.ErrRetention},
	} {
		if _, err := room(tc.o); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// From the row, the end of the log is still known.
	cp := final
	if res, err := room(replay.RoomOptions{Bound: replay.Bound{Cursor: replay.NoCursor}, Row: &cp, FromRow: true}); err != nil || jsonOf(t, res.State) != last.state {
		t.Errorf("from the row after retention: %v %+v", err, res)
	}
}
