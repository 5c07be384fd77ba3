package replay

import (
	"context"
	"fmt"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
)

// Verify folds the events topic of cfg and compares the fold with both
// tables, as the package documentation describes. The error is about
// reading Kafka; differences are in the report.
func Verify(ctx context.Context, cfg kafka.Config, o Options) (*Report, error) {
	if o.Progress == nil {
		o.Progress = new(Progress)
	}
	if o.Wait <= 0 {
		o.Wait = 250 * time.Millisecond
	}
	if o.Retries <= 0 {
		o.Retries = 40
	}
	c, err := dial(cfg, "verify")
	if err != nil {
		return nil, err
	}
	defer c.close()
	v := &verifier{c: c, o: o, n: c.cfg.Names, rep: &Report{Truncated: map[int32]int64{}},
		rooms: newTable(string(c.cfg.Names.RoomsTable()), c.cfg.Partitions),
		users: newTable(string(c.cfg.Names.UsersTable()), c.cfg.Partitions)}
	if err := v.snapshot(ctx); err != nil {
		return nil, err
	}
	o.Progress.begin("folding "+string(v.n.Events), v.eventsTotal())
	v.f, err = c.foldEvents(ctx, &bounds{room: v.roomBound, user: v.userRow, committed: v.committed}, &o.Progress.Done)
	if err != nil {
		return nil, err
	}
	v.compareRooms()
	v.compareUsers()
	if err := v.checkPresence(ctx); err != nil {
		return nil, err
	}
	v.finish()
	return v.rep, nil
}

// verifier holds one run of Verify.
type verifier struct {
	c   *conn
	o   Options
	n   kafka.Names
	rep *Report

	committed             []int64 // the rooms group's, on the events topic
	presStart, presEnd    []int64 // the presence topic's, after the rooms table was read
	usersCommitted        []int64 // the users group's, on the presence topic
	rooms, users          *table
	roomRows              map[string]*codec.RoomState
	userRows              map[string]*codec.UserState
	f                     *folded
	ok, unverifiable, bad map[string]bool // rooms that matched, could not be verified; rows that do not decode
}

// snapshot reads, in this order, the rooms group's progress, the rooms
// table, the end of the presence topic, the users group's progress and the
// users table; see the package documentation for why the order matters.
func (v *verifier) snapshot(ctx context.Context) error {
	var err error
	if v.committed, err = v.c.committed(string(v.n.RoomsGroup), string(v.n.Events)); err != nil {
		return err
	}
	if _, err = v.rooms.update(ctx, v.c, v.o.Progress); err != nil {
		return err
	}
	if v.presStart, v.presEnd, err = v.c.offsets(string(v.n.Presence)); err != nil {
		return err
	}
	if v.usersCommitted, err = v.c.committed(string(v.n.UsersGroup), string(v.n.Presence)); err != nil {
		return err
	}
	if _, err = v.users.update(ctx, v.c, v.o.Progress); err != nil {
		return err
	}
	v.ok, v.unverifiable, v.bad = map[string]bool{}, map[string]bool{}, map[string]bool{}
	v.roomRows = decodeRows(v, v.rooms, "rooms", codec.RoomCodec{}.Decode, codec.AsRoom)
	v.userRows = decodeRows(v, v.users, "users", codec.UserCodec{}.Decode, codec.AsUser)
	v.rep.Rooms, v.rep.Users = len(v.roomRows), len(v.userRows)
	return nil
}

// decodeRows decodes every row of a table; a row that does not decode is a
// difference.
func decodeRows[T any](v *verifier, t *table, name string, decode func([]byte) (any, error), as func(any) *T) map[string]*T {
	out := map[string]*T{}
	for _, rows := range t.rows {
		for k, row := range rows {
			raw := *row
			x, err := decode(raw)
			if err != nil {
				v.bad[name+"/"+k] = true
				v.diff(Difference{Table: name, Key: k, Field: "row", InTable: js(string(raw)), InLog: js("a row that decodes: " + err.Error())})
				continue
			}
			out[k] = as(x)
		}
	}
	return out
}

func (v *verifier) diff(d ...Difference) { v.rep.Differences = append(v.rep.Differences, d...) }

func (v *verifier) eventsTotal() int64 {
	start, end, err := v.c.offsets(string(v.n.Events))
	if err != nil {
		return 0
	}
	var n int64
	for p := range start {
		n += end[p] - start[p]
	}
	return n
}

func (v *verifier) roomBound(room string) int64 {
	if row := v.roomRows[room]; row != nil {
		return row.Cursor
	}
	return -1
}

func (v *verifier) userRow(user string) *codec.UserState { return v.userRows[user] }

// truncated reports whether the room's partition no longer starts at 0.
func (v *verifier) truncated(room string) bool {
	return v.f.start[kafka.Partition(room, len(v.f.start))] > 0
}

// lostBeginning reports whether retention may have deleted events of a
// room its row reflects: its partition no longer starts at 0, and either
// the row's cursor is below the first retained offset and no events of the
// room are left up to it, or the row says the room was created before its
// first retained event.
func (v *verifier) lostBeginning(room string, row, f *codec.RoomState) bool {
	start := v.f.start[kafka.Partition(room, len(v.f.start))]
	if start == 0 {
		return false
	}
	if f == nil {
		return row.Cursor < start
	}
	return row.Created < f.Created
}

// skipUserRoom reports whether users' presence in room cannot be verified.
func (v *verifier) skipUserRoom(room string) bool { return v.truncated(room) && !v.ok[room] }

func (v *verifier) compareRooms() {
	folds := map[string]*roomFold{}
	for _, pf := range v.f.parts {
		for room, rf := range pf.rooms {
			if !rf.foreign {
				folds[room] = rf
			}
		}
	}
	for room, row := range v.roomRows {
		var f *codec.RoomState
		if rf := folds[room]; rf != nil {
			f = rf.state
		}
		d := roomDiffs(room, row, f)
		switch {
		case len(d) == 0:
			v.ok[room] = true
		case v.lostBeginning(room, row, f):
			v.unverifiable[room] = true
		default:
			v.diff(d...)
		}
	}
	// Progress: every event below the rooms group's committed offset is in
	// the rows read after it.
	for room, rf := range folds {
		if rf.lastCommitted < 0 || v.unverifiable[room] || v.bad["rooms/"+room] {
			continue
		}
		row := v.roomRows[room]
		if row == nil {
			v.diff(Difference{Table: "rooms", Key: room, Field: "row", InTable: "none",
				InLog: fmt.Sprintf("events up to cursor %d, which the rooms processors committed", rf.lastCommitted)})
		} else if row.Cursor < rf.lastCommitted {
			v.diff(Difference{Table: "rooms", Key: room, Field: "cursor", InTable: js(row.Cursor),
				InLog: fmt.Sprintf("at least %d, which the rooms processors committed", rf.lastCommitted)})
		}
	}
}

func (v *verifier) compareUsers() {
	partial := map[string]bool{}
	for user, row := range v.userRows {
		d, part := userDiffs(user, row, v.userFold(user), v.skipUserRoom)
		v.diff(d...)
		if part {
			partial[user] = true
		}
	}
	v.rep.PartialUsers = sortedKeys(partial)
}

// userFold returns a user's fold.
func (v *verifier) userFold(user string) userFold {
	s := v.f.users.get(user)
	if s == nil {
		return userFold{room: func(string) *codec.UserRoom { return nil }}
	}
	return userFold{room: func(room string) *codec.UserRoom { return s.Rooms[room] }, lastSeen: s.LastSeen}
}
