package processors_test

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/processors"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func ts(i int) string { return codec.FormatTime(t0.Add(time.Duration(i) * time.Second)) }

func ev(typ codec.EventType, room, user, session string, i int) *codec.Event {
	e := &codec.Event{V: 1, ID: fmt.Sprint("e", i), Type: typ, Room: room, User: user, TS: ts(i)}
	if typ == codec.Message {
		e.Text = fmt.Sprint("text ", i)
	} else {
		e.Session, e.Server = session, "srv-"+session
	}
	return e
}

func js(t *testing.T, v interface{}) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type step struct {
	e   *codec.Event
	off int64
}

type members = map[string]map[string]string

func TestApplyRoom(t *testing.T) {
	J := func(u, s string, off int64) step { return step{ev(codec.Join, "lobby", u, s, int(off)), off} }
	L := func(u, s string, off int64) step { return step{ev(codec.Leave, "lobby", u, s, int(off)), off} }
	X := func(u, s string, off int64) step { return step{ev(codec.Expire, "lobby", u, s, int(off)), off} }
	M := func(u string, off int64) step { return step{ev(codec.Message, "lobby", u, "", int(off)), off} }
	cases := []struct {
		name     string
		steps    []step
		members  members
		list     []codec.Member
		messages int64
		marks    []int64
		cursor   int64
		created  string
	}{
		{"join adds session", []step{J("alice", "s1", 0)},
			members{"alice": {"s1": "srv-s1"}}, []codec.Member{{User: "alice", Sessions: 1}}, 0, nil, 0, ts(0)},
		{"two sessions of one user count 2", []step{J("alice", "s1", 0), J("alice", "s2", 3)},
			members{"alice": {"s1": "srv-s1", "s2": "srv-s2"}}, []codec.Member{{User: "alice", Sessions: 2}}, 0, nil, 3, ts(0)},
		{"same session joining twice counts once", []step{J("alice", "s1", 0), J("alice", "s1", 1)},
			members{"alice": {"s1": "srv-s1"}}, []codec.Member{{User: "alice", Sessions: 1}}, 0, nil, 1, ts(0)},
		{"leave of one of two keeps the user", []step{J("alice", "s1", 0), J("alice", "s2", 1), L("alice", "s1", 2)},
			members{"alice": {"s2": "srv-s2"}}, []codec.Member{{User: "alice", Sessions: 1}}, 0, nil, 2, ts(0)},
		{"leave of last removes the user", []step{J("alice", "s1", 0), J("bob", "b1", 1), L("alice", "s1", 2)},
			members{"bob": {"b1": "srv-b1"}}, []codec.Member{{User: "bob", Sessions: 1}}, 0, nil, 2, ts(0)},
		{"leave of only member empties the room", []step{J("alice", "s1", 4), L("alice", "s1", 9)},
			members{}, []codec.Member{}, 0, nil, 9, ts(4)},
		{"expire behaves as leave", []step{J("alice", "s1", 0), J("alice", "s2", 1), X("alice", "s1", 2), X("alice", "s2", 5)},
			members{}, []codec.Member{}, 0, nil, 5, ts(0)},
		{"leave of unknown session advances cursor only", []step{J("alice", "s1", 0), L("alice", "s9", 7)},
			members{"alice": {"s1": "srv-s1"}}, []codec.Member{{User: "alice", Sessions: 1}}, 0, nil, 7, ts(0)},
		{"leave of unknown user on new room", []step{L("zed", "z1", 3)},
			members{}, []codec.Member{}, 0, nil, 3, ts(3)},
		{"messages count, the first is marked", []step{J("alice", "s1", 0), M("alice", 2), M("bob", 5), M("alice", 6)},
			members{"alice": {"s1": "srv-s1"}}, []codec.Member{{User: "alice", Sessions: 1}}, 3, []int64{2}, 6, ts(0)},
		{"message first sets created", []step{M("alice", 10), J("bob", "b", 11)},
			members{"bob": {"b": "srv-b"}}, []codec.Member{{User: "bob", Sessions: 1}}, 1, []int64{10}, 11, ts(10)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s *codec.RoomState
			for i, st := range c.steps {
				var effects []codec.Presence
				var changed bool
				s, effects, changed = processors.ApplyRoom(s, st.e, st.off)
				if !changed {
					t.Fatalf("step %d: changed = false", i)
				}
				if want := processors.Derive(st.e, st.off); !reflect.DeepEqual(effects, want) || len(effects) != 1 {
					t.Fatalf("step %d: effects %+v, want %+v", i, effects, want)
				}
				if s.Updated != st.e.TS || s.Cursor != st.off {
					t.Fatalf("step %d: updated %q cursor %d, want %q %d", i, s.Updated, s.Cursor, st.e.TS, st.off)
				}
			}
			want := &codec.RoomState{V: codec.RoomVersion, Room: "lobby", Cursor: c.cursor, Members: c.members, Messages: c.messages,
				Created: c.created, Updated: c.steps[len(c.steps)-1].e.TS, Marks: c.marks}
			got := s.Clone()
			got.Reads, got.Latest = nil, nil // the read state has tests of its own (reads_test.go)
			got.Owner = ""                   // and so have the rules (rules_test.go)
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(s.MemberList(), c.list) {
				t.Fatalf("state %s %v, want %s %v", js(t, got), s.MemberList(), js(t, want), c.list)
			}
		})
	}
}

func TestApplyRoomMarks(t *testing.T) {
	keep := codec.HistoryLimit/codec.MarkEvery + 2
	for _, n := range []int{1, codec.MarkEvery, codec.MarkEvery + 1, codec.HistoryLimit, keep * codec.MarkEvery, keep*codec.MarkEvery + 1, 2*codec.HistoryLimit + 7} {
		t.Run(fmt.Sprint(n, " messages"), func(t *testing.T) {
			var s *codec.RoomState
			var want []int64
			for i := 0; i < n; i++ {
				off := int64(3*i + 1) // cursors increase but are not contiguous
				if i%codec.MarkEvery == 0 {
					want = append(want, off)
				}
				s, _, _ = processors.ApplyRoom(s, ev(codec.Message, "lobby", "alice", "", i), off)
			}
			want = want[max(0, len(want)-keep):]
			if s.Messages != int64(n) || !reflect.DeepEqual(s.Marks, want) {
				t.Fatalf("messages %d marks %v, want %d, %v", s.Messages, s.Marks, n, want)
			}
		})
	}
}

func TestApplyRoomRedelivery(t *testing.T) {
	prefix := []step{
		{ev(codec.Join, "lobby", "alice", "s1", 0), 0},
		{ev(codec.Message, "lobby", "alice", "", 1), 2},
		{ev(codec.Join, "lobby", "bob", "b1", 2), 5},
		{ev(codec.Leave, "lobby", "alice", "s1", 3), 6},
		{ev(codec.Expire, "lobby", "bob", "b1", 4), 8},
		{ev(codec.Message, "lobby", "carol", "", 5), 9},
	}
	for i := range prefix {
		t.Run(fmt.Sprintf("redeliver %s at %d", prefix[i].e.Type, prefix[i].off), func(t *testing.T) {
			var s *codec.RoomState
			var first [][]codec.Presence
			for _, st := range prefix {
				var eff []codec.Presence
				s, eff, _ = processors.ApplyRoom(s, st.e, st.off)
				first = append(first, eff)
			}
			before := js(t, s)
			for j := i; j < len(prefix); j++ { // goka restarts from prefix[i]
				got, eff, changed := processors.ApplyRoom(s, prefix[j].e, prefix[j].off)
				if changed || js(t, got) != before {
					t.Fatalf("redelivery of offset %d: changed %v, state %s, want %s", prefix[j].off, changed, js(t, got), before)
				}
				if !reflect.DeepEqual(eff, first[j]) || len(eff) != 1 || eff[0].Source != prefix[j].off {
					t.Fatalf("redelivery of offset %d: effects %+v, want %+v", prefix[j].off, eff, first[j])
				}
				s = got
			}
		})
	}
}

func TestDerive(t *testing.T) {
	msgWithSession := ev(codec.Message, "r", "u", "", 4)
	msgWithSession.Session, msgWithSession.Server = "s", "srv"
	cases := []struct {
		name string
		e    *codec.Event
		want []codec.Presence
	}{
		{"join adds", ev(codec.Join, "r", "u", "s", 1),
			[]codec.Presence{{V: 1, Op: codec.AddSession, User: "u", Room: "r", Session: "s", Server: "srv-s", Source: 42, TS: ts(1)}}},
		{"leave removes", ev(codec.Leave, "r", "u", "s", 2),
			[]codec.Presence{{V: 1, Op: codec.RemoveSession, User: "u", Room: "r", Session: "s", Server: "srv-s", Source: 42, TS: ts(2)}}},
		{"expire removes", ev(codec.Expire, "r", "u", "s", 3),
			[]codec.Presence{{V: 1, Op: codec.RemoveSession, User: "u", Room: "r", Session: "s", Server: "srv-s", Source: 42, TS: ts(3)}}},
		{"message is seen without session", msgWithSession,
			[]codec.Presence{{V: 1, Op: codec.Seen, User: "u", Room: "r", Source: 42, TS: ts(4)}}},
		{"unknown type derives nothing", &codec.Event{V: 1, Type: "kick", Room: "r", User: "u"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := processors.Derive(c.e, 42)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Derive = %+v, want %+v", got, c.want)
			}
			if len(got) == 1 && got[0].Validate() != nil {
				t.Fatalf("derived record invalid: %v", got[0].Validate())
			}
		})
	}
}

func pr(op codec.PresenceOp, room, session string, src int64, tsi int) *codec.Presence {
	p := &codec.Presence{V: 1, Op: op, User: "alice", Room: room, Source: src, TS: ts(tsi)}
	if op != codec.Seen {
		p.Session, p.Server = session, "srv-"+session
	}
	return p
}

func TestApplyUser(t *testing.T) {
	type rooms = map[string]*codec.UserRoom
	sess := func(ids ...string) map[string]string {
		m := map[string]string{}
		for _, id := range ids {
			m[id] = "srv-" + id
		}
		return m
	}
	A, R, S := codec.AddSession, codec.RemoveSession, codec.Seen
	cases := []struct {
		name     string
		in       []*codec.Presence
		changed  []bool
		rooms    rooms
		lastSeen string
		online   []string
		count    int
	}{
		{"add creates room entry", []*codec.Presence{pr(A, "lobby", "s1", 3, 1)}, []bool{true},
			rooms{"lobby": {Sessions: sess("s1"), Applied: 3}}, ts(1), []string{"lobby"}, 1},
		{"two adds two sessions", []*codec.Presence{pr(A, "lobby", "s1", 3, 1), pr(A, "lobby", "s2", 4, 2)}, []bool{true, true},
			rooms{"lobby": {Sessions: sess("s1", "s2"), Applied: 4}}, ts(2), []string{"lobby"}, 2},
		{"remove one of two", []*codec.Presence{pr(A, "lobby", "s1", 3, 1), pr(A, "lobby", "s2", 4, 2), pr(R, "lobby", "s1", 8, 3)}, []bool{true, true, true},
			rooms{"lobby": {Sessions: sess("s2"), Applied: 8}}, ts(3), []string{"lobby"}, 1},
		{"remove last keeps entry with nil sessions", []*codec.Presence{pr(A, "lobby", "s1", 3, 1), pr(R, "lobby", "s1", 5, 2)}, []bool{true, true},
			rooms{"lobby": {Applied: 5}}, ts(2), []string{}, 0},
		{"remove of unknown session", []*codec.Presence{pr(R, "lobby", "s1", 5, 2)}, []bool{true},
			rooms{"lobby": {Applied: 5}}, ts(2), []string{}, 0},
		{"seen records activity only", []*codec.Presence{pr(S, "lobby", "", 7, 4)}, []bool{true},
			rooms{"lobby": {Applied: 7}}, ts(4), []string{}, 0},
		{"older source skipped", []*codec.Presence{pr(A, "lobby", "s1", 5, 1), pr(R, "lobby", "s1", 3, 9)}, []bool{true, false},
			rooms{"lobby": {Sessions: sess("s1"), Applied: 5}}, ts(1), []string{"lobby"}, 1},
		{"equal source skipped", []*codec.Presence{pr(A, "lobby", "s1", 5, 1), pr(A, "lobby", "s2", 5, 9)}, []bool{true, false},
			rooms{"lobby": {Sessions: sess("s1"), Applied: 5}}, ts(1), []string{"lobby"}, 1},
		{"watermark is per room", []*codec.Presence{pr(A, "b", "s1", 5, 1), pr(A, "a", "s1", 2, 2)}, []bool{true, true},
			rooms{"a": {Sessions: sess("s1"), Applied: 2}, "b": {Sessions: sess("s1"), Applied: 5}}, ts(2), []string{"a", "b"}, 1},
		{"last seen is the max ts", []*codec.Presence{pr(A, "a", "s1", 5, 9), pr(S, "b", "", 6, 2)}, []bool{true, true},
			rooms{"a": {Sessions: sess("s1"), Applied: 5}, "b": {Applied: 6}}, ts(9), []string{"a"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s *codec.UserState
			for i, p := range c.in {
				var changed bool
				before := ""
				if s != nil {
					before = js(t, s)
				}
				if s, changed = processors.ApplyUser(s, p); changed != c.changed[i] {
					t.Fatalf("record %d: changed %v, want %v", i, changed, c.changed[i])
				}
				if !changed && js(t, s) != before {
					t.Fatalf("record %d skipped but state changed: %s -> %s", i, before, js(t, s))
				}
			}
			if s.V != 1 || s.User != "alice" || s.LastSeen != c.lastSeen || !reflect.DeepEqual(s.Rooms, c.rooms) {
				t.Fatalf("state %s, want rooms %s last seen %s", js(t, s), js(t, c.rooms), c.lastSeen)
			}
			if !reflect.DeepEqual(s.OnlineRooms(), c.online) || s.SessionCount() != c.count {
				t.Fatalf("online %v count %d, want %v %d", s.OnlineRooms(), s.SessionCount(), c.online, c.count)
			}
		})
	}
}

func TestApplyUserReplayAfterCrash(t *testing.T) {
	seq := []*codec.Presence{pr(codec.AddSession, "lobby", "s1", 1, 1), pr(codec.AddSession, "lobby", "s2", 2, 2),
		pr(codec.RemoveSession, "lobby", "s1", 3, 3), pr(codec.Seen, "lobby", "", 4, 4),
		pr(codec.RemoveSession, "lobby", "s2", 6, 5), pr(codec.AddSession, "lobby", "s3", 9, 6)}
	var once *codec.UserState
	for _, p := range seq {
		once, _ = processors.ApplyUser(once, p)
	}
	want := js(t, once)
	for _, restarts := range [][]int{{0}, {5}, {3, 1}, {6, 0, 2}, {4, 4, 4}} {
		t.Run(fmt.Sprint("restart from ", restarts), func(t *testing.T) {
			var s *codec.UserState
			for _, p := range seq {
				s, _ = processors.ApplyUser(s, p)
			}
			for _, from := range restarts {
				for _, p := range seq[from:] {
					var changed bool
					if s, changed = processors.ApplyUser(s, p); changed {
						t.Fatalf("replayed record at source %d changed the row", p.Source)
					}
				}
			}
			if got := js(t, s); got != want {
				t.Fatalf("after replay %s, want %s", got, want)
			}
		})
	}
}

// randomLog returns n events of a few rooms and users at increasing,
// non-contiguous offsets; leaves mostly name live sessions, timestamps are
// not monotonic.
func randomLog(rng *rand.Rand, n int) []step {
	roomNames, userNames := []string{"lobby", "dev", "ops"}, []string{"alice", "bob", "carol", "dave"}
	live := map[string][]string{} // user → session ids ever joined
	var out []step
	off := int64(rng.Intn(5))
	for i := 0; i < n; i++ {
		room, user := roomNames[rng.Intn(len(roomNames))], userNames[rng.Intn(len(userNames))]
		var e *codec.Event
		switch r := rng.Intn(100); {
		case r < 35:
			s := fmt.Sprint(user, "-s", rng.Intn(4)) // a session may be in several rooms
			live[user] = append(live[user], s)
			e = ev(codec.Join, room, user, s, i)
		case r < 70:
			typ, s := codec.Leave, "ghost"
			if r >= 60 {
				typ = codec.Expire
			}
			if ss := live[user]; len(ss) > 0 && rng.Intn(5) > 0 {
				s = ss[rng.Intn(len(ss))]
			}
			e = ev(typ, room, user, s, i)
		default:
			e = ev(codec.Message, room, user, "", i)
		}
		e.TS = ts(i + rng.Intn(20))
		out = append(out, step{e, off})
		off += 1 + int64(rng.Intn(3))
	}
	return out
}

// foldLog folds the log through ApplyRoom and the derived records through
// ApplyUser. With rng nil it folds once. Otherwise it crashes at random as
// goka may: emitted records not yet flushed are lost, the table may lose its
// latest row updates (back to a snapshot), the users group may replay a
// suffix of the presence stream, and the events are delivered again from an
// offset at or before the first loss.
func foldLog(t *testing.T, log []step, rng *rand.Rand) (rooms, users map[string]string, applied map[string]int, crashes int) {
	t.Helper()
	rs, us := map[string]*codec.RoomState{}, map[string]*codec.UserState{}
	type pending struct {
		idx int
		eff []codec.Presence
	}
	var queue []pending
	var flushed []codec.Presence
	snaps := make([][]byte, len(log))
	applied = map[string]int{} // how often each derived record changed a row
	applyUsers := func(ps []codec.Presence) {
		for i := range ps {
			p := ps[i]
			var changed bool
			if us[p.User], changed = processors.ApplyUser(us[p.User], &p); changed {
				applied[fmt.Sprint(p.User, "/", p.Room, "/", p.Source)]++
			}
		}
	}
	for i := 0; i < len(log); {
		if rng != nil {
			snaps[i], _ = json.Marshal(rs)
		}
		e := log[i].e
		s, eff, _ := processors.ApplyRoom(rs[e.Room], e, log[i].off)
		rs[e.Room] = s
		queue = append(queue, pending{i, eff})
		i++
		if rng == nil || rng.Intn(10) < 7 || i == len(log) {
			for _, q := range queue {
				applyUsers(q.eff)
				flushed = append(flushed, q.eff...)
			}
			queue = nil
		}
		if rng == nil || crashes >= 40 || rng.Intn(100) >= 6 {
			continue
		}
		crashes++
		lost := i
		if len(queue) > 0 {
			lost = queue[0].idx
		}
		queue = nil
		if k := rng.Intn(i + 1); k < i && rng.Intn(2) == 0 {
			rs = map[string]*codec.RoomState{}
			if err := json.Unmarshal(snaps[k], &rs); err != nil {
				t.Fatal(err)
			}
			lost = min(lost, k)
		}
		if rng.Intn(2) == 0 && len(flushed) > 0 {
			applyUsers(flushed[rng.Intn(len(flushed)):])
		}
		i = rng.Intn(lost + 1)
	}
	rooms, users = map[string]string{}, map[string]string{}
	for k, v := range rs {
		rooms[k] = js(t, v)
	}
	for k, v := range us { // invariant 7: the tables agree on every live session
		users[k] = js(t, v)
		n := 0
		for r, ur := range v.Rooms {
			if n += len(ur.Sessions); !reflect.DeepEqual(rs[r].Members[k], ur.Sessions) {
				t.Fatalf("user %s has sessions %v in %s, the room %v", k, ur.Sessions, r, rs[r].Members[k])
			}
		}
		for _, r := range rs {
			n -= len(r.Members[k])
		}
		if n != 0 {
			t.Fatalf("user %s: the rooms table holds %d sessions more than the users table", k, -n)
		}
	}
	return rooms, users, applied, crashes
}

func TestFoldRedeliveryProperty(t *testing.T) {
	log := randomLog(rand.New(rand.NewSource(1)), 400)
	wantRooms, wantUsers, wantApplied, _ := foldLog(t, log, nil)
	if len(wantRooms) != 3 || len(wantUsers) != 4 || len(wantApplied) != len(log) {
		t.Fatalf("degenerate log: %d rooms, %d users, %d records", len(wantRooms), len(wantUsers), len(wantApplied))
	}
	total := 0
	for seed := int64(0); seed < 30; seed++ {
		gotRooms, gotUsers, applied, crashes := foldLog(t, log, rand.New(rand.NewSource(seed)))
		if len(applied) != len(wantApplied) { // each derived record takes effect exactly once
			t.Errorf("seed %d: %d derived records took effect, want all %d", seed, len(applied), len(wantApplied))
		}
		for k := range wantApplied {
			if applied[k] != 1 {
				t.Errorf("seed %d: record %s took effect %d times, want once", seed, k, applied[k])
			}
		}
		total += crashes
		for k, want := range wantRooms {
			if gotRooms[k] != want {
				t.Errorf("seed %d, %d crashes: room %s\n got %s\nwant %s", seed, crashes, k, gotRooms[k], want)
			}
		}
		if !reflect.DeepEqual(gotUsers, wantUsers) || len(gotRooms) != len(wantRooms) {
			t.Errorf("seed %d, %d crashes: users\n got %v\nwant %v", seed, crashes, gotUsers, wantUsers)
		}
	}
	if total < 100 {
		t.Fatalf("only %d crashes simulated", total)
	}
}
