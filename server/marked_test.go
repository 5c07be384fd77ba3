package server

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/protocol"
)

// markedByLists is what a far-back read counted before markedCount: every
// message and change of the range kept, shown in its current state by
// protocol.Current, then the messages of others counted, and those whose
// text mentions user.
func markedByLists(events []*codec.Event, user string) (marked, mentions int64) {
	entries := make([]protocol.Entry, len(events))
	for i, e := range events {
		entries[i] = protocol.Entry{Cursor: int64(i), Event: e.Public()}
	}
	for _, m := range protocol.Current(entries) {
		if m.Event.Type != codec.Message || m.Event.User == user {
			continue
		}
		marked++
		if !m.Event.Deleted && mentioning(m.Event.Text, user) {
			mentions++
		}
	}
	return marked, mentions
}

// markedCount, which keeps of each message its author and whether it
// mentions the reader, counts what the lists of whole messages counted,
// over random ranges of messages, edits (by their author or not), deletes,
// reactions, joins and messages of the reader.
func TestMarkedCountAsTheLists(t *testing.T) {
	t.Parallel()
	users := []string{"alice", "bob", "carol"}
	texts := []string{"hi", "hi @alice", "@alice!", "for @bob", "@alicia", "@alice @bob"}
	for seed := range uint64(500) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var events []*codec.Event
		var ids []string
		for range rng.IntN(40) {
			u := users[rng.IntN(len(users))]
			e := &codec.Event{User: u, Room: "r"}
			switch k := rng.IntN(10); {
			case k < 4 || len(ids) == 0:
				e.Type, e.ID, e.Text = codec.Message, fmt.Sprint("m", len(ids)), texts[rng.IntN(len(texts))]
				ids = append(ids, e.ID)
			case k < 6:
				e.Type, e.ID, e.Text = codec.Edit, ids[rng.IntN(len(ids))], texts[rng.IntN(len(texts))]
			case k < 8:
				e.Type, e.ID = codec.Delete, ids[rng.IntN(len(ids))]
			case k < 9:
				on := rng.IntN(2) == 0
				e.Type, e.ID, e.Emoji, e.On = codec.React, ids[rng.IntN(len(ids))], "👍", on
			default:
				e.Type, e.Session, e.Server = codec.Join, "s", "srv"
			}
			events = append(events, e)
		}
		c := newMarkedCount("alice")
		for _, e := range events {
			c.add(e)
		}
		marked, mentions := markedByLists(events, "alice")
		if c.marked != marked || c.mentions != mentions {
			for _, e := range events {
				t.Logf("%s %s %s %q", e.Type, e.User, e.ID, e.Text)
			}
			t.Fatalf("seed %d: counted %d marked, %d mentions; the lists count %d and %d", seed, c.marked, c.mentions, marked, mentions)
		}
	}
}
