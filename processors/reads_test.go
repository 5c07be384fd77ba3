package processors_test

import (
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"testing"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/processors"
)

// readsOf folds events (each at its index) and returns the row.
func foldAll(events []*codec.Event) *codec.RoomState {
	var s *codec.RoomState
	for i, e := range events {
		s, _, _ = processors.FoldRoom(s, e, int64(i))
	}
	return s
}

func msg(user, text string) *codec.Event {
	e := ev(codec.Message, "lobby", user, "", 0)
	e.Text = text
	return e
}

func read(user string, cursor int64) *codec.Event {
	e := ev(codec.Read, "lobby", user, "r", 0)
	e.Cursor = cursor
	return e
}

func join(user string) *codec.Event { return ev(codec.Join, "lobby", user, user+"-s", 0) }

// change is an edit (text not empty) or a delete by user of the message at
// cursor, as a server writes it.
func change(user string, cursor int64, text string) *codec.Event {
	typ := codec.Delete
	if text != "" {
		typ = codec.Edit
	}
	e := ev(typ, "lobby", user, "", 0)
	e.Text, e.Cursor = text, cursor
	return e
}

func TestReadState(t *testing.T) {
	type marks = map[string]*codec.ReadMark
	for _, tc := range []struct {
		name   string
		events []*codec.Event
		want   marks
	}{
		{"a join starts the marker there", []*codec.Event{msg("bob", "before"), join("alice")},
			marks{"alice": {Cursor: 1}}},
		{"others' messages count, one's own never", []*codec.Event{join("alice"), join("bob"), msg("bob", "1"), msg("alice", "2"), msg("bob", "3")},
			marks{"alice": {Cursor: 0, Count: 2}, "bob": {Cursor: 1, Count: 1}}},
		{"mentions count members only, never oneself", []*codec.Event{join("alice"), join("bob"),
			msg("bob", "@alice hi @carol"), msg("alice", "@alice @bob"), msg("bob", "@alice, @alice! @alicex")},
			marks{"alice": {Cursor: 0, Count: 2, Mentions: 2}, "bob": {Cursor: 1, Count: 1, Mentions: 1}}},
		{"a read recounts after the marker", []*codec.Event{join("alice"), join("bob"), msg("bob", "1"), msg("bob", "@alice"), msg("bob", "3"), read("alice", 3)},
			marks{"alice": {Cursor: 3, Count: 1}, "bob": {Cursor: 1}}},
		{"a read to the end clears", []*codec.Event{join("alice"), join("bob"), msg("bob", "@alice"), read("alice", 2)},
			marks{"alice": {Cursor: 2}, "bob": {Cursor: 1}}},
		{"a marker never moves back", []*codec.Event{join("alice"), join("bob"), msg("bob", "1"), msg("bob", "2"), read("alice", 3), read("alice", 2)},
			marks{"alice": {Cursor: 3}, "bob": {Cursor: 1}}},
		{"a read past the room's cursor changes nothing", []*codec.Event{join("alice"), join("bob"), msg("bob", "1"), read("alice", 3)},
			marks{"alice": {Cursor: 0, Count: 1}, "bob": {Cursor: 1}}},
		{"a read of one who never joined changes nothing", []*codec.Event{join("alice"), msg("alice", "1"), read("zed", 1)},
			marks{"alice": {Cursor: 0}}},
		{"a later join keeps the marker", []*codec.Event{join("alice"), join("bob"), msg("bob", "1"), ev(codec.Leave, "lobby", "alice", "alice-s", 0), msg("bob", "2"), join("alice")},
			marks{"alice": {Cursor: 0, Count: 2}, "bob": {Cursor: 1}}},
		{"an edit that mentions counts a mention", []*codec.Event{join("alice"), join("bob"), msg("bob", "plain"), change("bob", 2, "now @alice")},
			marks{"alice": {Cursor: 0, Count: 1, Mentions: 1}, "bob": {Cursor: 1}}},
		{"an edit that mentions no more takes it back", []*codec.Event{join("alice"), join("bob"), msg("bob", "hi @alice"), change("bob", 2, "hi nobody")},
			marks{"alice": {Cursor: 0, Count: 1}, "bob": {Cursor: 1}}},
		{"a delete takes the mention back and keeps the message counted", []*codec.Event{join("alice"), join("bob"), msg("bob", "hi @alice"), change("bob", 2, "")},
			marks{"alice": {Cursor: 0, Count: 1}, "bob": {Cursor: 1}}},
		{"an edit of another's message changes nothing", []*codec.Event{join("alice"), join("bob"), msg("bob", "hi @alice"), change("alice", 2, "hi")},
			marks{"alice": {Cursor: 0, Count: 1, Mentions: 1}, "bob": {Cursor: 1}}},
		{"an edit of a message already read changes no count", []*codec.Event{join("alice"), join("bob"), msg("bob", "hi"), read("alice", 2), change("bob", 2, "hi @alice")},
			marks{"alice": {Cursor: 2}, "bob": {Cursor: 1}}},
		{"an edit that does not locate its message changes nothing", []*codec.Event{join("alice"), join("bob"), msg("bob", "hi @alice"), change("bob", 0, "hi"), change("bob", 3, "hi")},
			marks{"alice": {Cursor: 0, Count: 1, Mentions: 1}, "bob": {Cursor: 1}}},
		{"a read after an edit recounts its new mentions", []*codec.Event{join("alice"), join("bob"), msg("bob", "a"), msg("bob", "b"), change("bob", 3, "b @alice"), change("bob", 2, "a @alice"), read("alice", 2)},
			marks{"alice": {Cursor: 2, Count: 1, Mentions: 1}, "bob": {Cursor: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := foldAll(tc.events)
			if !reflect.DeepEqual(s.Reads, tc.want) {
				t.Fatalf("reads %s, want %s", js(t, s.Reads), js(t, tc.want))
			}
			// Folding the events again, as a redelivery does, changes nothing.
			before := js(t, s)
			for i, e := range tc.events {
				if _, changed, _ := processors.FoldRoom(s, e, int64(i)); changed || js(t, s) != before {
					t.Fatalf("redelivery of %d changed the row", i)
				}
			}
		})
	}
}

// TestReadStateBeyondLatest: a marker moved to a message that dropped out of
// the row's latest leaves the counts (an overcount), and one moved into
// them is exact again.
func TestReadStateBeyondLatest(t *testing.T) {
	events := []*codec.Event{join("alice"), join("bob")}
	for i := range codec.LatestKeep + 10 {
		events = append(events, msg("bob", fmt.Sprint("m", i)))
	}
	s := foldAll(events)
	total := int64(codec.LatestKeep + 10)
	if r := s.Reads["alice"]; r.Count != total || len(s.Latest) != codec.LatestKeep || s.Latest[0].Cursor != 12 {
		t.Fatalf("alice %+v, latest %d from %d", r, len(s.Latest), s.Latest[0].Cursor)
	}
	s, _, _ = processors.FoldRoom(s, read("alice", 5), int64(len(events)))
	if r := s.Reads["alice"]; r.Cursor != 5 || r.Count != total {
		t.Fatalf("a marker before latest: %+v, want cursor 5 and the count kept at %d", r, total)
	}
	s, _, _ = processors.FoldRoom(s, read("alice", 12), int64(len(events)+1))
	if r := s.Reads["alice"]; r.Cursor != 12 || r.Count != codec.LatestKeep-1 {
		t.Fatalf("a marker in latest: %+v, want count %d", r, codec.LatestKeep-1)
	}
}

// TestReadStateBeyondLatestMarked: a read past messages that dropped out
// of the row's latest takes off its own count of them (what the server
// counted in the log from the marker it saw), and is exact; counted from
// another marker than the one it finds, it keeps the counts.
func TestReadStateBeyondLatestMarked(t *testing.T) {
	events := []*codec.Event{join("alice"), join("bob")}
	for i := range codec.LatestKeep + 10 {
		text := fmt.Sprint("m", i)
		if i%10 == 0 {
			text += " @alice"
		}
		events = append(events, msg("bob", text))
	}
	// Messages at 2 to 75; latest holds 12 to 75. alice reads up to 6:
	// m0 to m4, one of them (m0) mentioning her.
	total, mentions := int64(codec.LatestKeep+10), int64(8)
	marked := func(from, cursor, n, m int64) *codec.Event {
		e := read("alice", cursor)
		e.From, e.Marked, e.MarkedMentions = from, n, m
		return e
	}
	s := foldAll(events)
	if from, ok := processors.PassesLatest(s, "alice", 6); !ok || from != 0 {
		t.Fatalf("PassesLatest = %d, %v; want alice's marker 0, true", from, ok)
	}
	if _, ok := processors.PassesLatest(s, "alice", 12); ok {
		t.Fatal("a read into latest is recounted, not marked")
	}
	s, _, _ = processors.FoldRoom(s, marked(0, 6, 5, 1), int64(len(events)))
	if r := s.Reads["alice"]; r.Cursor != 6 || r.Count != total-5 || r.Mentions != mentions-1 {
		t.Fatalf("a marked read: %+v, want count %d, mentions %d", r, total-5, mentions-1)
	}
	// Counted from 3, where alice's marker is not: the counts stay.
	s, _, _ = processors.FoldRoom(s, marked(3, 9, 3, 0), int64(len(events)+1))
	if r := s.Reads["alice"]; r.Cursor != 9 || r.Count != total-5 || r.Mentions != mentions-1 {
		t.Fatalf("a read counted from another marker: %+v, want the counts kept", r)
	}
	// Redelivered, the marked read changes nothing.
	before := js(t, s)
	if _, changed, _ := processors.FoldRoom(s, marked(0, 6, 5, 1), int64(len(events))); changed || js(t, s) != before {
		t.Fatal("a redelivered marked read changed the row")
	}
}

// TestReadStateRandom compares the fold with a count by brute force over
// random logs short enough that every message stays in the row's latest.
func TestReadStateRandom(t *testing.T) {
	users := []string{"ann", "bo", "cy", "di"}
	rng := rand.New(rand.NewSource(7))
	for run := range 300 {
		// No message at offset 0, which an edit cannot locate.
		events := []*codec.Event{join(users[rng.Intn(len(users))])}
		for range 2 + rng.Intn(50) {
			u := users[rng.Intn(len(users))]
			switch rng.Intn(6) {
			case 0:
				events = append(events, join(u))
			case 1:
				events = append(events, read(u, int64(rng.Intn(len(events)+2))-1))
			case 2:
				// An edit or delete of a message, mostly its author's, as
				// the server writes them: never of a deleted message.
				i := rng.Intn(len(events))
				if m := events[i]; m.Type == codec.Message && !deleted(events, int64(i)) {
					text := ""
					if rng.Intn(3) > 0 {
						text = "edited @" + users[rng.Intn(len(users))]
					}
					if rng.Intn(4) > 0 {
						u = m.User
					}
					events = append(events, change(u, int64(i), text))
				}
			default:
				text := "hi"
				for range rng.Intn(3) {
					text += " @" + users[rng.Intn(len(users))]
				}
				events = append(events, msg(u, text))
			}
		}
		s := foldAll(events)
		want := bruteReads(events)
		got := map[string]*codec.ReadMark{}
		for u, r := range s.Reads {
			got[u] = r
		}
		if len(want) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("run %d: fold %s, brute force %s", run, js(t, got), js(t, want))
		}
	}
}

// bruteReads counts from scratch what the fold keeps: markers start at a
// user's first join and move forward to a read's cursor when it is below
// the read's own offset; counts are the messages of others after them.
func bruteReads(events []*codec.Event) map[string]*codec.ReadMark {
	marker := map[string]int64{}
	for i, e := range events {
		switch e.Type {
		case codec.Join:
			if _, ok := marker[e.User]; !ok {
				marker[e.User] = int64(i)
			}
		case codec.Read:
			if m, ok := marker[e.User]; ok && e.Cursor > m && e.Cursor < int64(i) {
				marker[e.User] = e.Cursor
			}
		}
	}
	out := map[string]*codec.ReadMark{}
	for u, m := range marker {
		r := &codec.ReadMark{Cursor: m}
		for i, e := range events {
			if e.Type != codec.Message || int64(i) <= m || e.User == u {
				continue
			}
			r.Count++
			var names []string
			codec.Mentions(currentText(events, int64(i)), func(n string) { names = append(names, n) })
			if slices.Contains(names, u) {
				r.Mentions++
			}
		}
		out[u] = r
	}
	return out
}

// currentText is the text of the message at cursor after the edits and
// delete of its author that follow it: empty once deleted.
func currentText(events []*codec.Event, cursor int64) string {
	m := events[cursor]
	text := m.Text
	for _, e := range events[cursor+1:] {
		if e.Cursor != cursor || e.User != m.User {
			continue
		}
		switch e.Type {
		case codec.Edit:
			text = e.Text
		case codec.Delete:
			return ""
		}
	}
	return text
}

// deleted reports whether the message at cursor has been deleted by its
// author in events.
func deleted(events []*codec.Event, cursor int64) bool {
	for _, e := range events[cursor+1:] {
		if e.Type == codec.Delete && e.Cursor == cursor && e.User == events[cursor].User {
			return true
		}
	}
	return false
}
