package protocol

import (
	"math"
	"testing"

	"github.com/chatstate/chatstate/codec"
)

// TestClientFrameRefusals checks the exact code and message of frames that
// are not an object, and of numbers that after or history cannot hold.
func TestClientFrameRefusals(t *testing.T) {
	for _, tc := range []struct {
		frame, code, message string
	}{
		{`[1,2,3]`, CodeBadRequest, "frame must be a JSON object"},
		{` "join"`, CodeBadRequest, "frame must be a JSON object"},
		{`5`, CodeBadRequest, "frame must be a JSON object"},
		{`null`, CodeBadRequest, "frame must be a JSON object"},
		{`hello`, CodeBadRequest, "frame is not a JSON object"},
		{`{"room":"r"}`, CodeBadRequest, "op is missing"},
		{`{"op":"join","room":"r","after":1e30}`, CodeBadRequest, "after is too large: at most 9223372036854775807"},
		{`{"op":"join","room":"r","after":99999999999999999999}`, CodeBadRequest, "after is too large: at most 9223372036854775807"},
		{`{"op":"join","room":"r","after":9223372036854775808}`, CodeBadRequest, "after is too large: at most 9223372036854775807"},
		{`{"op":"join","room":"r","after":-99999999999999999999}`, CodeBadRequest, "after must be a cursor (-1 or more)"},
		{`{"op":"join","room":"r","after":-2}`, CodeBadRequest, "after must be a cursor (-1 or more)"},
		{`{"op":"join","room":"r","after":1.5}`, CodeBadRequest, "after must be an integer"},
		{`{"op":"join","room":"r","after":"7"}`, CodeBadRequest, "field after has the wrong type"},
		{`{"op":"join","room":"r","history":1e30}`, CodeBadRequest, "history must be 0 to 500"},
		{`{"op":"join","room":"r","history":2.5}`, CodeBadRequest, "history must be an integer"},
		{`{"op":"join","room":7}`, CodeBadRequest, "field room has the wrong type"},
	} {
		_, e := DecodeClientFrame([]byte(tc.frame))
		if e == nil || e.Code != tc.code || e.Message != tc.message {
			t.Errorf("%s: got %+v, want %s %q", tc.frame, e, tc.code, tc.message)
		}
	}
	if f, e := DecodeClientFrame([]byte(`{"op":"join","room":"r","after":9223372036854775807}`)); e != nil || *f.After != 9223372036854775807 {
		t.Errorf("the largest cursor: %+v %v", f, e)
	}
}

// TestUnreadFrame holds the hand-written unread frame to what MustJSON of
// its struct gives.
func TestUnreadFrame(t *testing.T) {
	for _, tc := range []struct {
		room string
		r    codec.ReadMark
	}{
		{"lobby", codec.ReadMark{}},
		{"a.b_c-9", codec.ReadMark{Cursor: -1, Count: 7, Mentions: 2}},
		{"x", codec.ReadMark{Cursor: math.MaxInt64, Count: math.MaxInt64, Mentions: math.MinInt64}},
	} {
		want := MustJSON(UnreadFrame{Op: "unread", Room: tc.room, Count: tc.r.Count, Mentions: tc.r.Mentions, Cursor: tc.r.Cursor})
		if got := Unread(tc.room, tc.r); string(got) != string(want) {
			t.Errorf("Unread = %s, want %s", got, want)
		}
	}
}
