package replay

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/chatstate/chatstate/codec"
)

// Difference is one field in which a table disagrees with the log.
type Difference struct {
	// Table is "rooms" or "users".
	Table string `json:"table"`
	// Key is the room or user.
	Key string `json:"key"`
	// Field names the field, as in the row's JSON ("messages",
	// "rooms.lobby.sessions"), or "row" for a row that should not exist or
	// is missing, or does not decode.
	Field string `json:"field"`
	// InTable and InLog are the table's value and the value folded from the
	// log, as JSON or in words.
	InTable string `json:"table_value"`
	InLog   string `json:"log_value"`
}

// String renders the difference on one line.
func (d Difference) String() string {
	return fmt.Sprintf("%s %s: %s: table %s, log %s", d.Table, d.Key, d.Field, d.InTable, d.InLog)
}

// js renders a value as JSON for a Difference.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// roomDiffs compares a room's row with the fold of its events up to the
// row's cursor (nil if there were none).
func roomDiffs(key string, row, f *codec.RoomState) []Difference {
	var out []Difference
	add := func(field string, t, l any) {
		out = append(out, Difference{Table: "rooms", Key: key, Field: field, InTable: js(t), InLog: js(l)})
	}
	if f == nil {
		return []Difference{{Table: "rooms", Key: key, Field: "row",
			InTable: fmt.Sprintf("a row at cursor %d with %d messages", row.Cursor, row.Messages),
			InLog:   fmt.Sprintf("no events of the room at or before cursor %d", row.Cursor)}}
	}
	if row.Room != f.Room {
		add("room", row.Room, f.Room)
	}
	if row.Cursor != f.Cursor {
		add("cursor", row.Cursor, f.Cursor)
	}
	if !maps.EqualFunc(row.Members, f.Members, sessionsEqual) {
		add("members", row.Members, f.Members)
	}
	if row.Messages != f.Messages {
		add("messages", row.Messages, f.Messages)
	}
	if row.Created != f.Created {
		add("created", row.Created, f.Created)
	}
	if row.Updated != f.Updated {
		add("updated", row.Updated, f.Updated)
	}
	if !slices.Equal(row.Marks, f.Marks) {
		add("marks", row.Marks, f.Marks)
	}
	// Read state is compared per user, so that a corrupted marker or count
	// names its user ("reads.alice").
	for _, u := range slices.Sorted(maps.Keys(unionKeys(row.Reads, f.Reads))) {
		t, l := row.Reads[u], f.Reads[u]
		if t == nil || l == nil || *t != *l {
			add("reads."+u, t, l)
		}
	}
	if !slices.EqualFunc(row.Latest, f.Latest, latestEqual) {
		add("latest", row.Latest, f.Latest)
	}
	return append(out, ruleDiffs(row, f, add)...)
}

// ruleDiffs compares the rules of a room's row with the fold's, each field
// on its own, through add; it returns nothing itself.
func ruleDiffs(row, f *codec.RoomState, add func(field string, t, l any)) []Difference {
	if row.Owner != f.Owner {
		add("owner", row.Owner, f.Owner)
	}
	if row.Private != f.Private {
		add("private", row.Private, f.Private)
	}
	if row.Topic != f.Topic {
		add("topic", row.Topic, f.Topic)
	}
	for _, l := range []struct {
		field string
		t, l  []string
	}{{"moderators", row.Moderators, f.Moderators}, {"invited", row.Invited, f.Invited}, {"banned", row.Banned, f.Banned},
		{"muted", row.Muted, f.Muted}, {"dm", row.DM, f.DM}} {
		if !slices.Equal(l.t, l.l) { // nil equals empty
			add(l.field, l.t, l.l)
		}
	}
	return nil
}

// unionKeys returns the keys of a and b.
func unionKeys[V any](a, b map[string]V) map[string]struct{} {
	out := make(map[string]struct{}, len(a)+len(b))
	for k := range a {
		out[k] = struct{}{}
	}
	for k := range b {
		out[k] = struct{}{}
	}
	return out
}

// latestEqual compares two of a row's latest messages.
func latestEqual(a, b codec.LatestMessage) bool {
	return a.Cursor == b.Cursor && a.User == b.User && slices.Equal(a.Mentioned, b.Mentioned)
}

// sessionsEqual compares session → server maps; nil equals empty.
func sessionsEqual(a, b map[string]string) bool { return maps.Equal(a, b) }

// userFold is the fold of one user's presence records: per room, and the
// latest ts of all.
type userFold struct {
	room     func(room string) *codec.UserRoom // nil if none
	lastSeen string
}

// userDiffs compares a user's row with the fold of the records its row has
// applied. skip tells which rooms cannot be verified; the user's LastSeen
// then only must not be older than the fold's.
func userDiffs(key string, row *codec.UserState, f userFold, skip func(room string) bool) (out []Difference, partial bool) {
	add := func(field string, t, l any) {
		out = append(out, Difference{Table: "users", Key: key, Field: field, InTable: js(t), InLog: js(l)})
	}
	if row.User != key {
		add("user", row.User, key)
	}
	for _, room := range slices.Sorted(maps.Keys(row.Rooms)) {
		if skip(room) {
			partial = true
			continue
		}
		ur := row.Rooms[room]
		applied, sessions := int64(-1), map[string]string(nil)
		if fr := f.room(room); fr != nil {
			applied, sessions = fr.Applied, fr.Sessions
		}
		if ur == nil { // "room": null, which no processor writes
			ur = &codec.UserRoom{Applied: -1}
		}
		if ur.Applied != applied {
			add("rooms."+room+".applied", ur.Applied, applied)
		}
		if !sessionsEqual(ur.Sessions, sessions) {
			add("rooms."+room+".sessions", nonNil(ur.Sessions), nonNil(sessions))
		}
	}
	seen := f.lastSeen
	if seen > row.LastSeen || (!partial && seen != row.LastSeen) {
		add("last_seen", row.LastSeen, seen)
	}
	return out, partial
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
