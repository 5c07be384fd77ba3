package processors_test

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"
)

var names = kafka.NewNames("chat")

// recordTime is the Kafka timestamp of every record the tests consume.
var recordTime = time.Date(2024, 6, 1, 8, 30, 0, 123e6, time.UTC)

// startGroup builds a processor with the production builder and options and
// goka.WithTester last, and runs it until the test ends. The rooms and users
// groups need one tester each: the presence topic is an output with
// PresenceCodec for one and an input with Raw for the other, and the tester
// refuses two codecs for one topic.
func startGroup(t *testing.T, build func(kafka.Config, string, ...goka.ProcessorOption) (*goka.Processor, error)) *tester.Tester {
	t.Helper()
	tt := tester.New(t)
	cfg := kafka.Config{Brokers: []string{"unused"}, Names: names, Partitions: 1}
	p, err := build(cfg, t.TempDir(), goka.WithTester(tt), goka.WithLogger(testenv.GokaLogger{T: t}))
	if err != nil {
		t.Fatalf("build processor: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("processor run: %v", err)
		}
	})
	return tt
}

func consume(tt *tester.Tester, topic goka.Stream, key string, v interface{}) {
	tt.Consume(string(topic), key, v, tester.WithTime(recordTime))
}

func evJSON(t *testing.T, e *codec.Event) []byte {
	t.Helper()
	b, err := codec.EventCodec{}.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func room(t *testing.T, tt *tester.Tester, key string) *codec.RoomState {
	t.Helper()
	v := tt.TableValue(names.RoomsTable(), key)
	if v == nil {
		return nil
	}
	s := codec.AsRoom(v)
	if s == nil {
		t.Fatalf("rooms table holds %T", v)
	}
	return s
}

// expectPresence reads the next records of the tracker and compares them.
func expectPresence(t *testing.T, qt *tester.QueueTracker, want ...*codec.Presence) {
	t.Helper()
	for i, w := range want {
		key, v, ok := qt.Next()
		if !ok {
			t.Fatalf("presence record %d missing, want %+v", i, *w)
		}
		p, _ := v.(*codec.Presence)
		if key != w.User || p == nil || *p != *w {
			t.Fatalf("presence record %d: key %q %#v, want %+v", i, key, v, *w)
		}
	}
	if key, v, ok := qt.Next(); ok {
		t.Fatalf("unexpected record %q %#v", key, v)
	}
}

func presenceOf(e *codec.Event, off int64) *codec.Presence {
	p := processors.Derive(e, off)[0]
	return &p
}

func TestRoomsGroupFoldsEvents(t *testing.T) {
	tt := startGroup(t, processors.NewRooms)
	pt, dt := tt.NewQueueTracker(string(names.Presence)), tt.NewQueueTracker(string(names.DeadLetter))
	log := []*codec.Event{
		ev(codec.Join, "lobby", "alice", "s1", 0),
		ev(codec.Message, "lobby", "alice", "", 1),
		ev(codec.Join, "dev", "bob", "b1", 2),
		ev(codec.Join, "lobby", "bob", "b2", 3),
		ev(codec.Message, "lobby", "bob", "", 4),
		ev(codec.Leave, "lobby", "bob", "b2", 5),
	}
	var want []*codec.Presence
	for i, e := range log {
		consume(tt, names.Events, e.Room, evJSON(t, e))
		want = append(want, presenceOf(e, int64(i)))
	}
	expectPresence(t, pt, want...)
	wantLobby := &codec.RoomState{V: codec.RoomVersion, Room: "lobby", Cursor: 5, Members: members{"alice": {"s1": "srv-s1"}},
		Messages: 2, Created: ts(0), Updated: ts(5), Marks: []int64{1},
		Reads:  map[string]*codec.ReadMark{"alice": {Cursor: 0, Count: 1}, "bob": {Cursor: 3}},
		Latest: []codec.LatestMessage{{Cursor: 1, User: "alice"}, {Cursor: 4, User: "bob"}}, Owner: "alice"}
	if got := room(t, tt, "lobby"); !reflect.DeepEqual(got, wantLobby) {
		t.Fatalf("lobby = %s, want %s", js(t, got), js(t, wantLobby))
	}
	wantDev := &codec.RoomState{V: codec.RoomVersion, Room: "dev", Cursor: 2, Members: members{"bob": {"b1": "srv-b1"}}, Created: ts(2), Updated: ts(2),
		Reads: map[string]*codec.ReadMark{"bob": {Cursor: 2}}, Owner: "bob"}
	if got := room(t, tt, "dev"); !reflect.DeepEqual(got, wantDev) {
		t.Fatalf("dev = %s, want %s", js(t, got), js(t, wantDev))
	}
	if _, _, ok := dt.Next(); ok {
		t.Fatal("a valid event went to the dead-letter topic")
	}
}

// goka cannot deliver one offset twice in the tester; a row whose cursor is
// ahead of the input is what a redelivery after a crash looks like.
func TestRoomsGroupRedelivery(t *testing.T) {
	tt := startGroup(t, processors.NewRooms)
	pt := tt.NewQueueTracker(string(names.Presence))
	ahead := &codec.RoomState{V: codec.RoomVersion, Room: "lobby", Cursor: 2, Members: members{"alice": {"s1": "srv-s1"}},
		Messages: 1, Created: ts(0), Updated: ts(2), Marks: []int64{1}}
	tt.SetTableValue(names.RoomsTable(), "lobby", ahead)
	log := []*codec.Event{
		ev(codec.Join, "lobby", "alice", "s1", 0),
		ev(codec.Message, "lobby", "alice", "", 1),
		ev(codec.Leave, "lobby", "alice", "s1", 2),
	}
	for i, e := range log {
		consume(tt, names.Events, "lobby", evJSON(t, e))
		if got := room(t, tt, "lobby"); !reflect.DeepEqual(got, ahead) {
			t.Fatalf("offset %d changed the row: %s, want %s", i, js(t, got), js(t, ahead))
		}
		expectPresence(t, pt, presenceOf(e, int64(i)))
	}
	next := ev(codec.Join, "lobby", "bob", "b1", 3)
	consume(tt, names.Events, "lobby", evJSON(t, next))
	expectPresence(t, pt, presenceOf(next, 3))
	want := &codec.RoomState{V: codec.RoomVersion, Room: "lobby", Cursor: 3, Members: members{"alice": {"s1": "srv-s1"}, "bob": {"b1": "srv-b1"}},
		Messages: 1, Created: ts(0), Updated: ts(3), Marks: []int64{1},
		Reads: map[string]*codec.ReadMark{"bob": {Cursor: 3}}, // alice's join was folded before the row we seeded,
		Owner: "bob"}                                          // which has no owner: the next join gives it one
	if got := room(t, tt, "lobby"); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the redelivered offsets: %s, want %s", js(t, got), js(t, want))
	}
}

type badRecord struct {
	name   string
	key    string
	value  []byte // nil: a tombstone
	reason string // a substring of the dead letter's reason
}

// checkDeadLetter reads the next dead letter and checks every field and header.
func checkDeadLetter(t *testing.T, dt *tester.QueueTracker, topic goka.Stream, off int64, c badRecord) {
	t.Helper()
	h, key, v, ok := dt.NextWithHeaders()
	if !ok {
		t.Fatal("no dead letter")
	}
	d, _ := v.(*codec.DeadLetter)
	if d == nil {
		t.Fatalf("dead letter %q is %#v", key, v)
	}
	want := codec.DeadLetter{V: 1, Reason: d.Reason, Topic: string(topic), Partition: 0, Offset: off, Key: c.key,
		Value: c.value, TS: codec.FormatTime(recordTime)}
	if key != c.key || !reflect.DeepEqual(*d, want) || !strings.Contains(d.Reason, c.reason) {
		t.Fatalf("dead letter %q %+v, want %+v with reason containing %q", key, *d, want, c.reason)
	}
	wantH := goka.Headers{codec.HeaderReason: []byte(d.Reason), codec.HeaderTopic: []byte(topic),
		codec.HeaderPartition: []byte("0"), codec.HeaderOffset: []byte(strconv.FormatInt(off, 10))}
	if !reflect.DeepEqual(h, wantH) {
		t.Fatalf("headers %q, want %q", h, wantH)
	}
	if _, _, more := dt.Next(); more {
		t.Fatal("more than one dead letter")
	}
}

func TestRoomsGroupDeadLetters(t *testing.T) {
	valid := func(room string) []byte { return evJSON(t, ev(codec.Join, room, "bob", "b1", 1)) }
	cases := []badRecord{
		{"not json", "lobby", []byte("{not json"), "codec: cannot decode"},
		{"unknown field", "lobby", []byte(`{"v":1,"extra":true}`), "codec: cannot decode"},
		{"version 2", "lobby", []byte(strings.Replace(string(valid("lobby")), `"v":1`, `"v":2`, 1)), "codec: cannot decode: version 2"},
		{"bad room name", "-bad", valid("-bad"), `codec: invalid: room "-bad"`},
		{"untrimmed message", "lobby", []byte(`{"v":1,"id":"x","type":"message","room":"lobby","user":"bob","ts":"` + ts(1) + `","text":" hi"}`), "surrounding white space"},
		{"key differs from room", "other", valid("lobby"), `key "other" differs from "lobby"`},
		{"nil value", "lobby", nil, "codec: cannot decode"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tt := startGroup(t, processors.NewRooms)
			pt, dt := tt.NewQueueTracker(string(names.Presence)), tt.NewQueueTracker(string(names.DeadLetter))
			first := ev(codec.Join, "lobby", "alice", "s1", 0)
			consume(tt, names.Events, "lobby", evJSON(t, first))
			before := js(t, room(t, tt, "lobby"))
			consume(tt, names.Events, c.key, c.value)
			checkDeadLetter(t, dt, names.Events, 1, c)
			if got := js(t, room(t, tt, "lobby")); got != before {
				t.Fatalf("row changed: %s, want %s", got, before)
			}
			if keys := tt.GetTableKeys(names.RoomsTable()); !reflect.DeepEqual(keys, []string{"lobby"}) {
				t.Fatalf("table keys %v, want [lobby]", keys)
			}
			next := ev(codec.Message, "lobby", "alice", "", 2)
			consume(tt, names.Events, "lobby", evJSON(t, next))
			expectPresence(t, pt, presenceOf(first, 0), presenceOf(next, 2))
			if s := room(t, tt, "lobby"); s.Cursor != 2 || s.Messages != 1 || !reflect.DeepEqual(s.Marks, []int64{2}) {
				t.Fatalf("processing did not go on: %s", js(t, s))
			}
			if _, _, ok := dt.Next(); ok {
				t.Fatal("a valid event after the bad one was dead-lettered")
			}
		})
	}
}

func presJSON(t *testing.T, p *codec.Presence) []byte {
	t.Helper()
	b, err := codec.PresenceCodec{}.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func user(t *testing.T, tt *tester.Tester, key string) *codec.UserState {
	t.Helper()
	v := tt.TableValue(names.UsersTable(), key)
	if v == nil {
		return nil
	}
	return codec.AsUser(v)
}

func TestUsersGroupFoldsPresence(t *testing.T) {
	tt := startGroup(t, processors.NewUsers)
	dt := tt.NewQueueTracker(string(names.DeadLetter))
	seq := []*codec.Presence{pr(codec.AddSession, "lobby", "s1", 0, 0), pr(codec.AddSession, "dev", "s1", 2, 1),
		pr(codec.Seen, "lobby", "", 3, 5), pr(codec.AddSession, "lobby", "s2", 4, 3), pr(codec.RemoveSession, "dev", "s1", 6, 4)}
	for _, p := range seq {
		consume(tt, names.Presence, "alice", presJSON(t, p))
	}
	want := &codec.UserState{V: 1, User: "alice", LastSeen: ts(5), Rooms: map[string]*codec.UserRoom{
		"lobby": {Sessions: map[string]string{"s1": "srv-s1", "s2": "srv-s2"}, Applied: 4}, "dev": {Applied: 6}}}
	got := user(t, tt, "alice")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("alice = %s, want %s", js(t, got), js(t, want))
	}
	// Redelivery after a crash of the rooms group: the same records again.
	for _, p := range seq {
		consume(tt, names.Presence, "alice", presJSON(t, p))
		if again := user(t, tt, "alice"); !reflect.DeepEqual(again, want) {
			t.Fatalf("redelivered source %d changed the row: %s", p.Source, js(t, again))
		}
	}
	if got.OnlineRooms()[0] != "lobby" || got.SessionCount() != 2 {
		t.Fatalf("online %v sessions %d", got.OnlineRooms(), got.SessionCount())
	}
	if _, _, ok := dt.Next(); ok {
		t.Fatal("a valid record went to the dead-letter topic")
	}
}

func TestUsersGroupDeadLetters(t *testing.T) {
	bad := pr(codec.AddSession, "lobby", "", 5, 1)
	cases := []badRecord{
		{"not json", "alice", []byte("[1"), "codec: cannot decode"},
		{"missing version", "alice", []byte(`{"op":"seen","user":"alice","room":"lobby","source":1,"ts":"` + ts(1) + `"}`), "codec: cannot decode: version 0"},
		{"add without session", "alice", presJSON(t, bad), "presence add needs a session"},
		{"unknown op", "alice", []byte(`{"v":1,"op":"kick","user":"alice","room":"lobby","source":1,"ts":"` + ts(1) + `"}`), `unknown presence op "kick"`},
		{"key differs from user", "bob", presJSON(t, pr(codec.Seen, "lobby", "", 5, 1)), `key "bob" differs from "alice"`},
		{"nil value", "alice", nil, "codec: cannot decode"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tt := startGroup(t, processors.NewUsers)
			dt := tt.NewQueueTracker(string(names.DeadLetter))
			consume(tt, names.Presence, "alice", presJSON(t, pr(codec.AddSession, "lobby", "s1", 0, 0)))
			before := js(t, user(t, tt, "alice"))
			consume(tt, names.Presence, c.key, c.value)
			checkDeadLetter(t, dt, names.Presence, 1, c)
			if got := js(t, user(t, tt, "alice")); got != before {
				t.Fatalf("row changed: %s, want %s", got, before)
			}
			if keys := tt.GetTableKeys(names.UsersTable()); !reflect.DeepEqual(keys, []string{"alice"}) {
				t.Fatalf("table keys %v, want [alice]", keys)
			}
			consume(tt, names.Presence, "alice", presJSON(t, pr(codec.RemoveSession, "lobby", "s1", 7, 2)))
			want := &codec.UserState{V: 1, User: "alice", LastSeen: ts(2), Rooms: map[string]*codec.UserRoom{"lobby": {Applied: 7}}}
			if got := user(t, tt, "alice"); !reflect.DeepEqual(got, want) {
				t.Fatalf("processing did not go on: %s, want %s", js(t, got), js(t, want))
			}
		})
	}
}
