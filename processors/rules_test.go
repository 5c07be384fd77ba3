package processors_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/processors"
)

// rule returns a rule event of user in lobby, acting on target.
func rule(typ codec.EventType, user, target string, i int) *codec.Event {
	return &codec.Event{V: 1, ID: fmt.Sprint("r", i), Type: typ, Room: "lobby", User: user, TS: ts(i), Target: target}
}

func settings(user string, private *bool, topic *string, i int) *codec.Event {
	e := rule(codec.Settings, user, "", i)
	e.Private, e.Topic = private, topic
	return e
}

func on(e *codec.Event, v bool) *codec.Event     { e.On = v; return e }
func role(e *codec.Event, r string) *codec.Event { e.Role = r; return e }
func pt[T any](v T) *T                           { return &v }
func joinOf(room, user, session string, i int) *codec.Event {
	return ev(codec.Join, room, user, session, i)
}

// rulesBase is a room of owner alice, moderator mo, and members bob and
// mo, each with one session: the row before each case's event.
func rulesBase(t *testing.T) *codec.RoomState {
	t.Helper()
	var s *codec.RoomState
	for i, e := range []*codec.Event{joinOf("lobby", "alice", "a1", 0), joinOf("lobby", "mo", "m1", 1), joinOf("lobby", "bob", "b1", 2),
		role(rule(codec.Role, "alice", "mo", 3), codec.RoleModerator)} {
		var err error
		if s, _, err = processors.FoldRoom(s, e, int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestRules checks who may do what, event by event, at the event's
// cursor: an allowed event changes the rules' fields as listed, a refused
// one changes nothing but the cursor and Updated.
func TestRules(t *testing.T) {
	type fields struct {
		owner                              string
		moderators, invited, banned, muted []string
		private                            bool
		topic                              string
		members                            []string
	}
	base := fields{owner: "alice", moderators: []string{"mo"}, members: []string{"alice", "bob", "mo"}}
	with := func(f func(*fields)) fields { c := base; f(&c); return c }
	cases := []struct {
		name    string
		before  []*codec.Event // after rulesBase, at cursors 4, 5, …
		e       *codec.Event
		refused bool
		want    fields
	}{
		{"owner sets private and topic", nil, settings("alice", pt(true), pt("plans"), 9), false, with(func(f *fields) { f.private, f.topic = true, "plans" })},
		{"owner clears the topic only", []*codec.Event{settings("alice", pt(true), pt("plans"), 4)}, settings("alice", nil, pt(""), 9), false,
			with(func(f *fields) { f.private = true })},
		{"moderator may not change settings", nil, settings("mo", pt(true), nil, 9), true, base},
		{"member may not change settings", nil, settings("bob", nil, pt("x"), 9), true, base},
		{"owner grants moderator", nil, role(rule(codec.Role, "alice", "bob", 9), codec.RoleModerator), false,
			with(func(f *fields) { f.moderators = []string{"bob", "mo"} })},
		{"owner takes moderator back", nil, role(rule(codec.Role, "alice", "mo", 9), codec.RoleMember), false,
			with(func(f *fields) { f.moderators = nil })},
		{"moderator may not grant roles", nil, role(rule(codec.Role, "mo", "bob", 9), codec.RoleModerator), true, base},
		{"owner's role does not change", nil, role(rule(codec.Role, "alice", "alice", 9), codec.RoleMember), true, base},
		{"member invites in a public room", nil, rule(codec.Invite, "bob", "carol", 9), false, with(func(f *fields) { f.invited = []string{"carol"} })},
		{"stranger may not invite", nil, rule(codec.Invite, "zed", "carol", 9), true, base},
		{"member may not invite in a private room", []*codec.Event{settings("alice", pt(true), nil, 4)}, rule(codec.Invite, "bob", "carol", 9), true,
			with(func(f *fields) { f.private = true })},
		{"moderator invites in a private room", []*codec.Event{settings("alice", pt(true), nil, 4)}, rule(codec.Invite, "mo", "carol", 9), false,
			with(func(f *fields) { f.private, f.invited = true, []string{"carol"} })},
		{"inviting a member keeps no invitation", nil, rule(codec.Invite, "alice", "bob", 9), false, base},
		{"a banned user is not invited", []*codec.Event{on(rule(codec.Ban, "alice", "carol", 4), true)}, rule(codec.Invite, "alice", "carol", 9), true,
			with(func(f *fields) { f.banned = []string{"carol"} })},
		{"moderator kicks a member", nil, rule(codec.Kick, "mo", "bob", 9), false, with(func(f *fields) { f.members = []string{"alice", "mo"} })},
		{"member may not kick", nil, rule(codec.Kick, "bob", "mo", 9), true, base},
		{"nobody kicks the owner", nil, rule(codec.Kick, "mo", "alice", 9), true, base},
		{"owner bans a moderator", nil, on(rule(codec.Ban, "alice", "mo", 9), true), false,
			with(func(f *fields) { f.moderators, f.banned, f.members = nil, []string{"mo"}, []string{"alice", "bob"} })},
		{"nobody bans the owner", nil, on(rule(codec.Ban, "mo", "alice", 9), true), true, base},
		{"member may not ban", nil, on(rule(codec.Ban, "bob", "carol", 9), true), true, base},
		{"unban", []*codec.Event{on(rule(codec.Ban, "mo", "carol", 4), true)}, on(rule(codec.Ban, "mo", "carol", 9), false), false, base},
		{"moderator mutes", nil, on(rule(codec.Mute, "mo", "bob", 9), true), false, with(func(f *fields) { f.muted = []string{"bob"} })},
		{"nobody mutes the owner", nil, on(rule(codec.Mute, "mo", "alice", 9), true), true, base},
		{"member may not mute", nil, on(rule(codec.Mute, "bob", "mo", 9), true), true, base},
		{"unmute", []*codec.Event{on(rule(codec.Mute, "alice", "bob", 4), true)}, on(rule(codec.Mute, "alice", "bob", 9), false), false, base},
		{"muted user's message refused", []*codec.Event{on(rule(codec.Mute, "alice", "bob", 4), true)}, ev(codec.Message, "lobby", "bob", "", 9), true,
			with(func(f *fields) { f.muted = []string{"bob"} })},
		{"muted user's react refused", []*codec.Event{on(rule(codec.Mute, "alice", "bob", 4), true)},
			&codec.Event{V: 1, ID: "e1", Type: codec.React, Room: "lobby", User: "bob", TS: ts(9), Emoji: "x", On: true}, true,
			with(func(f *fields) { f.muted = []string{"bob"} })},
		{"banned user's join refused", []*codec.Event{on(rule(codec.Ban, "alice", "bob", 4), true)}, joinOf("lobby", "bob", "b2", 9), true,
			with(func(f *fields) { f.banned, f.members = []string{"bob"}, []string{"alice", "mo"} })},
		{"stranger's join of a private room refused", []*codec.Event{settings("alice", pt(true), nil, 4)}, joinOf("lobby", "zed", "z1", 9), true,
			with(func(f *fields) { f.private = true })},
		{"invited user joins a private room", []*codec.Event{settings("alice", pt(true), nil, 4), rule(codec.Invite, "alice", "zed", 5)},
			joinOf("lobby", "zed", "z1", 9), false, with(func(f *fields) { f.private, f.members = true, []string{"alice", "bob", "mo", "zed"} })},
		{"member comes back to a private room", []*codec.Event{settings("alice", pt(true), nil, 4), ev(codec.Leave, "lobby", "bob", "b1", 5)},
			joinOf("lobby", "bob", "b2", 9), false, with(func(f *fields) { f.private = true })},
		{"kicked member may not come back to a private room", []*codec.Event{settings("alice", pt(true), nil, 4), rule(codec.Kick, "alice", "bob", 5)},
			joinOf("lobby", "bob", "b2", 9), true, with(func(f *fields) { f.private, f.members = true, []string{"alice", "mo"} })},
		{"kicked member comes back to a public room", []*codec.Event{rule(codec.Kick, "alice", "bob", 5)}, joinOf("lobby", "bob", "b2", 9), false, base},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := rulesBase(t)
			for i, e := range c.before {
				var err error
				if s, _, err = processors.FoldRoom(s, e, int64(4+i)); err != nil {
					t.Fatalf("before %d: %v", i, err)
				}
			}
			before := s.Clone()
			s, changed, err := processors.FoldRoom(s, c.e, 9)
			if !changed || s.Cursor != 9 || s.Updated != c.e.TS {
				t.Fatalf("changed %v cursor %d updated %s", changed, s.Cursor, s.Updated)
			}
			if c.refused {
				if !errors.Is(err, processors.ErrRefused) {
					t.Fatalf("err = %v, want a refusal", err)
				}
				before.Cursor, before.Updated = 9, c.e.TS
				if !reflect.DeepEqual(s, before) {
					t.Fatalf("a refused event changed the row:\n got  %s\n want %s", js(t, s), js(t, before))
				}
			} else if err != nil {
				t.Fatalf("refused: %v", err)
			}
			var members []string
			for _, m := range s.MemberList() {
				members = append(members, m.User)
			}
			got := fields{s.Owner, s.Moderators, s.Invited, s.Banned, s.Muted, s.Private, s.Topic, members}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("rules %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestRulesRow pins a whole row after a sequence with every rule, and the
// presence records: none for a kick, a ban, or a refused join.
func TestRulesRow(t *testing.T) {
	s := rulesBase(t)
	steps := []*codec.Event{
		settings("alice", pt(true), pt("plans"), 4),
		rule(codec.Invite, "mo", "carol", 5),
		on(rule(codec.Ban, "mo", "bob", 6), true),
		joinOf("lobby", "bob", "b2", 7),
		on(rule(codec.Mute, "alice", "carol", 8), true),
	}
	for i, e := range steps {
		var effects []codec.Presence
		var err error
		s, effects, _, err = processors.Apply(s, e, int64(4+i))
		if (err != nil) != (i == 3) {
			t.Fatalf("step %d: refused %v", i, err)
		}
		if len(effects) != 0 {
			t.Fatalf("step %d: effects %+v, want none", i, effects)
		}
	}
	want := &codec.RoomState{V: codec.RoomVersion, Room: "lobby", Cursor: 8,
		Members: members{"alice": {"a1": "srv-a1"}, "mo": {"m1": "srv-m1"}}, Created: ts(0), Updated: ts(8),
		Reads: map[string]*codec.ReadMark{"alice": {Cursor: 0}, "mo": {Cursor: 1}},
		Owner: "alice", Moderators: []string{"mo"}, Private: true, Topic: "plans", Invited: []string{"carol"},
		Banned: []string{"bob"}, Muted: []string{"carol"}}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("row\n got  %s\n want %s", js(t, s), js(t, want))
	}
	// A redelivery changes nothing and derives as the event alone says.
	again, effects, changed := processors.ApplyRoom(s.Clone(), joinOf("lobby", "bob", "b2", 7), 7)
	if changed || !reflect.DeepEqual(again, want) || len(effects) != 1 {
		t.Fatalf("redelivery: changed %v effects %+v", changed, effects)
	}
}

// TestDirectRooms checks the direct room of two users: opened by a direct
// join, private, joined by its two only, and its name reserved.
func TestDirectRooms(t *testing.T) {
	room := codec.DMRoom("bob", "alice")
	if room != codec.DMRoom("alice", "bob") || room != "dm-1cb15457d1ddab60e205c0fe3ca2f65d" || !codec.IsDMName(room) {
		t.Fatalf("DMRoom = %s", room)
	}
	dm := func(user, target, session string, i int) *codec.Event {
		e := joinOf(room, user, session, i)
		e.Target = target
		return e
	}
	if _, _, err := processors.FoldRoom(nil, joinOf(room, "alice", "a1", 0), 0); !errors.Is(err, processors.ErrRefused) {
		t.Fatalf("a plain join opened a direct room: %v", err)
	}
	s, _, err := processors.FoldRoom(nil, dm("alice", "bob", "a1", 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		e  *codec.Event
		ok bool
	}{
		{dm("bob", "alice", "b1", 1), true},
		{joinOf(room, "alice", "a2", 2), true},
		{joinOf(room, "carol", "c1", 3), false},
		{rule(codec.Invite, "alice", "carol", 4), false},
		{rule(codec.Invite, "alice", "bob", 4), true},
		{settings("alice", pt(false), nil, 5), false},
		{on(rule(codec.Ban, "alice", "bob", 6), true), false},
	} {
		c.e.Room = room
		if _, _, err = processors.FoldRoom(s, c.e, int64(i+1)); (err == nil) != c.ok {
			t.Fatalf("step %d (%s of %s): refused %v", i, c.e.Type, c.e.User, err)
		}
	}
	want := &codec.RoomState{V: codec.RoomVersion, Room: room, Cursor: 7,
		Members: members{"alice": {"a1": "srv-a1", "a2": "srv-a2"}, "bob": {"b1": "srv-b1"}}, Created: ts(0), Updated: ts(6),
		Reads: map[string]*codec.ReadMark{"alice": {Cursor: 0}, "bob": {Cursor: 1}}, Private: true, DM: []string{"alice", "bob"}}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("row\n got  %s\n want %s", js(t, s), js(t, want))
	}
	// In a direct room, a message of anyone but its two is refused (one
	// posted over HTTP with the API key as a third user).
	msg := func(room, user string) *codec.Event {
		return &codec.Event{V: 1, ID: "m", Type: codec.Message, Room: room, User: user, TS: ts(0), Text: "hi"}
	}
	if _, _, err := processors.FoldRoom(s, msg(room, "mallory"), 8); !errors.Is(err, processors.ErrRefused) {
		t.Fatalf("a third user's message in a direct room: %v", err)
	}
	if _, _, err := processors.FoldRoom(s, msg(room, "bob"), 9); err != nil {
		t.Fatalf("bob's message in his direct room: %v", err)
	}
	// A message cannot take the name of a direct room not yet opened, and
	// the refused record does not keep the pair from opening it.
	other := codec.DMRoom("alice", "carol")
	s2, _, err := processors.FoldRoom(nil, msg(other, "mallory"), 0)
	if !errors.Is(err, processors.ErrRefused) || s2.Created != "" {
		t.Fatalf("a message opening a direct room's name: %v, row %s", err, js(t, s2))
	}
	e := joinOf(other, "alice", "a1", 1)
	e.Target = "carol"
	if s2, _, err = processors.FoldRoom(s2, e, 1); err != nil || len(s2.DM) != 2 {
		t.Fatalf("the direct join after a refused record: %v, row %s", err, js(t, s2))
	}
	// A direct join of a room that exists and is not direct (a row folded
	// before messages were refused there) is refused.
	s3 := codec.NewRoomState(codec.DMRoom("alice", "dave"))
	s3.Cursor, s3.Created = 0, ts(0)
	e = joinOf(s3.Room, "alice", "a1", 1)
	e.Target = "dave"
	if _, _, err := processors.FoldRoom(s3, e, 1); !errors.Is(err, processors.ErrRefused) {
		t.Fatalf("direct join of a room with events: %v", err)
	}
}
