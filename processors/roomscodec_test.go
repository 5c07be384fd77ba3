package processors_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
)

// TestRoomsTableCodecBytes folds a room's events as the rooms callback
// does, through the codec the group persists its table with (goka decodes
// the bytes of the row's last write, folds into that value and encodes it
// again), and checks every row it writes against RoomCodec's bytes for a
// row folded apart, decoded from and encoded to RoomCodec's own bytes.
func TestRoomsTableCodecBytes(t *testing.T) {
	table := processors.RoomsGraph(kafka.NewNames("t"), 0).GroupTable().Codec()
	var row, plain []byte
	var off int64
	step := func(e codec.Event) {
		t.Helper()
		off++
		var s, p *codec.RoomState
		if row != nil {
			v, err := table.Decode(row)
			if err != nil {
				t.Fatal(err)
			}
			w, err := codec.RoomCodec{}.Decode(plain)
			if err != nil {
				t.Fatal(err)
			}
			s, p = codec.AsRoom(v), codec.AsRoom(w)
		}
		s, _, _ = processors.ApplyRoom(s, &e, off)
		p, _, _ = processors.ApplyRoom(p, &e, off)
		var err error
		if row, err = table.Encode(s); err != nil {
			t.Fatal(err)
		}
		if plain, err = (codec.RoomCodec{}).Encode(p); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(row, plain) {
			t.Fatalf("after %s at %d the table codec wrote\n%s\nRoomCodec\n%s", e.Type, off, row, plain)
		}
	}
	ev := func(typ codec.EventType, user string) codec.Event {
		e := codec.NewEvent(typ, "lobby", user)
		e.Session, e.Server = "s-"+user, "server-1"
		return e
	}
	for i := range 12 {
		step(ev(codec.Join, fmt.Sprint("user-", i)))
	}
	for i := range 3 * codec.LatestKeep {
		e := ev(codec.Message, fmt.Sprint("user-", i%12))
		e.Session, e.Server = "", ""
		e.Text = fmt.Sprintf("hi @user-%d and @user-%d", (i+1)%12, i%5)
		step(e)
		switch i % 17 {
		case 3:
			r := ev(codec.Read, fmt.Sprint("user-", i%7))
			r.Cursor = off - int64(i%40)
			step(r)
		case 9:
			step(ev(codec.Leave, fmt.Sprint("user-", i%12)))
		case 11:
			step(ev(codec.Join, fmt.Sprint("user-", i%12)))
			step(ev(codec.Join, fmt.Sprint("late-", i)))
		}
	}
}
