package protocol_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/protocol"
)

func entry(cursor int64, typ codec.EventType, user, id string, f func(p *codec.Public)) protocol.Entry {
	p := codec.Public{ID: id, Type: typ, Room: "r", User: user, TS: "t"}
	if f != nil {
		f(&p)
	}
	return protocol.Entry{Cursor: cursor, Event: p}
}

func on(v bool) func(p *codec.Public) {
	return func(p *codec.Public) { p.Emoji, p.On = "+1", &v }
}

func text(s string) func(p *codec.Public) { return func(p *codec.Public) { p.Text = s } }

// TestCurrent pins the fold of a message's changes within a list: edits and
// deletes by the author only, reactions counted per user, nothing after a
// delete, and changes of messages not in the list passed over.
func TestCurrent(t *testing.T) {
	list := []protocol.Entry{
		entry(0, codec.Message, "al", "m1", text("one")),
		entry(1, codec.Message, "bo", "m2", text("two")),
		entry(2, codec.Edit, "bo", "m1", text("not bo's to edit")),
		entry(3, codec.Edit, "al", "m1", text("one!")),
		entry(4, codec.React, "bo", "m1", on(true)),
		entry(5, codec.React, "bo", "m1", on(true)), // once per user
		entry(6, codec.React, "al", "m1", on(true)),
		entry(7, codec.React, "al", "m1", on(false)),
		entry(8, codec.React, "cy", "m1", on(false)), // removing none
		entry(9, codec.Delete, "al", "m2", nil),      // not al's
		entry(10, codec.React, "al", "m2", on(true)),
		entry(11, codec.Delete, "bo", "m2", nil),
		entry(12, codec.Edit, "bo", "m2", text("after the delete")),
		entry(13, codec.React, "al", "m2", on(true)),
		entry(14, codec.Edit, "al", "m0", text("a message before the list")),
	}
	before, _ := json.Marshal(list)
	got := protocol.Current(list)
	if after, _ := json.Marshal(list); string(after) != string(before) {
		t.Fatal("Current modified its input")
	}
	want := []string{
		`{"id":"m1","type":"message","room":"r","user":"al","ts":"t","text":"one!","edited":true,"reactions":{"+1":1}}`,
		`{"id":"m2","type":"message","room":"r","user":"bo","ts":"t","deleted":true}`,
	}
	for i, w := range want {
		if b, _ := json.Marshal(got[i].Event); string(b) != w {
			t.Errorf("message %d: %s, want %s", i, b, w)
		}
	}
	for i := 2; i < len(list); i++ {
		if b1, _ := json.Marshal(got[i]); string(b1) != string(mustJSON(list[i])) {
			t.Errorf("entry %d changed: %s", i, b1)
		}
	}
	if unchanged := protocol.Current(list[:2]); &unchanged[0] != &list[0] {
		t.Error("a list without changes was copied")
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// BenchmarkCurrent is what showing messages in their current state adds to
// a join's history: a server's copy of a room holds its latest 128 events,
// here 100 messages and 28 changes (edits, reactions, a delete), and a
// history of the default 50 folds them over its messages.
func BenchmarkCurrent(b *testing.B) {
	var ring []protocol.Entry
	for i := range 100 {
		ring = append(ring, entry(int64(i), codec.Message, "u", fmt.Sprint("m", i), text("some text of a message")))
	}
	for i := range 28 {
		id := fmt.Sprint("m", 60+i)
		switch i % 3 {
		case 0:
			ring = append(ring, entry(int64(100+i), codec.Edit, "u", id, text("edited")))
		case 1:
			ring = append(ring, entry(int64(100+i), codec.React, "v", id, on(true)))
		default:
			ring = append(ring, entry(int64(100+i), codec.Delete, "u", id, nil))
		}
	}
	for _, tc := range []struct {
		name string
		list []protocol.Entry
	}{{"changes=28", ring[50:]}, {"changes=0", ring[:100][50:]}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				_ = protocol.Current(tc.list)
			}
		})
	}
}
