package replay_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/logread"
	"github.com/chatstate/chatstate/replay"
)

// TestRoomReplayBeforeBan replays a room at a cursor before a ban, where
// the user is a member, and after it, where the user is banned and gone.
func TestRoomReplayBeforeBan(t *testing.T) {
	cfg := testenv.Kafka(t, 2)
	w := newWriter(t, cfg)
	w.event(codec.Join, "ruled", "alice", "a1")
	before, _ := w.event(codec.Join, "ruled", "bob", "b1")
	ban := codec.NewEvent(codec.Ban, "ruled", "alice")
	ban.Target, ban.On = "bob", true
	b, err := codec.EventCodec{}.Encode(&ban)
	if err != nil {
		t.Fatal(err)
	}
	w.raw("ruled", b)

	r := logread.New(testenv.KafkaClient(t, cfg.Brokers, cfg.Sarama("test")), cfg)
	res, err := replay.Room(context.Background(), r, "ruled", replay.RoomOptions{Bound: replay.Bound{Cursor: before}})
	if err != nil {
		t.Fatal(err)
	}
	want := []codec.Member{{User: "alice", Sessions: 1}, {User: "bob", Sessions: 1}}
	if s := res.State; !reflect.DeepEqual(s.MemberList(), want) || s.Owner != "alice" || s.Banned != nil {
		t.Fatalf("before the ban: %s", jsonOf(t, s))
	}
	res, err = replay.Room(context.Background(), r, "ruled", replay.RoomOptions{Bound: replay.Bound{Cursor: replay.NoCursor}})
	if err != nil {
		t.Fatal(err)
	}
	if s := res.State; !reflect.DeepEqual(s.MemberList(), want[:1]) || !slices.Equal(s.Banned, []string{"bob"}) || s.Cursor != before+1 {
		t.Fatalf("after the ban: %s", jsonOf(t, s))
	}
}
