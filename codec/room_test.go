package codec_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/chatstate/chatstate/codec"
)

// roomWith returns a room whose message number i (from 1) is at cursor 10·i.
func roomWith(messages int) *codec.RoomState {
	r := codec.NewRoomState("lobby")
	for i := 1; i <= messages; i++ {
		r.AddMessage(int64(10 * i))
	}
	return r
}

// TestHistoryFrom checks every history length against every room size up to
// well past the marks' reach: the mark returned is at or before the first
// message wanted, by fewer than MarkEvery messages.
func TestHistoryFrom(t *testing.T) {
	for m := 0; m <= 3*codec.HistoryLimit; m++ {
		r := roomWith(m)
		for n := 0; n <= codec.HistoryLimit; n++ {
			from, whole := r.HistoryFrom(n)
			if m == 0 || n == 0 {
				if from != -1 || !whole {
					t.Fatalf("%d messages, history %d: from %d whole %v, want -1 true", m, n, from, whole)
				}
				continue
			}
			first := int64(max(1, m-n+1))
			if !whole || from%10 != 0 || from > 10*first || from <= 10*(first-codec.MarkEvery) {
				t.Fatalf("%d messages, history %d: from message %d (whole %v), want at most %d and above %d",
					m, n, from/10, whole, first, first-codec.MarkEvery)
			}
		}
	}
}

// TestRoomRowVersion1 reads a row of the format that kept the cursors of the
// last HistoryLimit messages: the marks among them are kept, the row is
// rewritten as version 2, and history reaches as far as those marks.
func TestRoomRowVersion1(t *testing.T) {
	const messages = 600
	recent := ""
	for i := messages - codec.HistoryLimit + 1; i <= messages; i++ {
		recent += fmt.Sprintf(",%d", 10*i)
	}
	raw := fmt.Sprintf(`{"v":1,"room":"lobby","cursor":6000,"members":{"alice":{"s1":"srv"}},"messages":%d,"created":"","updated":"","recent":[%s]}`, messages, recent[1:])
	v, err := codec.RoomCodec{}.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	got := codec.AsRoom(v)
	want := roomWith(messages).Marks
	if got.V != codec.RoomVersion || fmt.Sprint(got.Marks) != fmt.Sprint(want[len(want)-len(got.Marks):]) || len(got.Marks) < len(want)-2 {
		t.Fatalf("converted row: v %d marks %v, want v %d and the tail of %v", got.V, got.Marks, codec.RoomVersion, want)
	}
	if from, whole := got.HistoryFrom(50); !whole || from != 10*(messages-50+1-((messages-50)%codec.MarkEvery)) {
		t.Fatalf("history 50 of a converted row from %d whole %v", from, whole)
	}
	if _, whole := got.HistoryFrom(codec.HistoryLimit); whole {
		t.Fatal("history of the full limit claims whole from a converted row that lacks the oldest mark")
	}
}

// TestRoomRowRejects refuses rows that mix the versions' fields, and
// versions this build does not read.
func TestRoomRowRejects(t *testing.T) {
	for _, raw := range []string{
		`{"v":2,"room":"r","cursor":1,"members":{},"messages":1,"created":"","updated":"","marks":[1],"recent":[1]}`,
		`{"v":1,"room":"r","cursor":1,"members":{},"messages":1,"created":"","updated":"","marks":[1]}`,
		`{"v":3,"room":"r","cursor":1,"members":{},"messages":0,"created":"","updated":"","marks":[]}`,
		`{"v":2,"room":"r","cursor":1,"members":{},"messages":0,"created":"","updated":"","marks":[],"extra":1}`,
		`{"v":2,"room":"r","room":"s","cursor":1,"members":{},"messages":0,"created":"","updated":"","marks":[]}`,
	} {
		if _, err := (codec.RoomCodec{}).Decode([]byte(raw)); !errors.Is(err, codec.ErrDecode) {
			t.Errorf("%s: err %v, want ErrDecode", raw, err)
		}
	}
}
