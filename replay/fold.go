package replay

import (
	"context"
	"sync/atomic"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
)

// Log is the fold of the whole events topic.
type Log struct {
	// Rooms and Users are the states as of the end read, by name.
	Rooms map[string]*codec.RoomState
	Users map[string]*codec.UserState
	// Start and End are, per partition, the first retained offset and the
	// end read (exclusive).
	Start, End []int64
	// Records is the number of records read, valid or not.
	Records int64
}

// FoldLog folds every retained event of the events topic of cfg, up to the
// end the topic has when FoldLog begins, into the room and user states the
// processors compute: each room's events through processors.ApplyRoom in
// offset order, and the presence records they derive through
// processors.ApplyUser, per user and room in cursor order. Records the
// processors send to the dead-letter topic (undecodable, invalid, keyed or
// placed wrongly) are passed over. done, if not nil, counts the records read
// as they are.
func FoldLog(ctx context.Context, cfg kafka.Config, done *atomic.Int64) (*Log, error) {
	c, err := dial(cfg, "replay")
	if err != nil {
		return nil, err
	}
	defer c.close()
	f, err := c.foldEvents(ctx, &bounds{}, done)
	if err != nil {
		return nil, err
	}
	l := &Log{Rooms: map[string]*codec.RoomState{}, Users: mergeUsers(f.parts), Start: f.start, End: f.end}
	for _, pf := range f.parts {
		l.Records += pf.records
		for room, rf := range pf.rooms {
			if !rf.foreign && rf.state != nil {
				l.Rooms[room] = rf.state
			}
		}
	}
	return l, nil
}

// bounds limit a fold, for comparing with tables that are behind the log.
type bounds struct {
	// room returns the last cursor of the room to fold; nil: all.
	room func(room string) int64
	// user returns the last source cursor of the user's records of the room
	// to fold; nil: all.
	user func(user, room string) int64
	// committed is the rooms group's committed offset per partition; nil
	// leaves progress untracked.
	committed []int64
}

// userRoom names the presence of one user in one room.
type userRoom struct{ user, room string }

// roomFold is one room's fold in one partition.
type roomFold struct {
	state *codec.RoomState // up to bound
	bound int64
	first int64 // offset of the room's first valid event read, -1 if none
	// lastCommitted is the offset of its last event below the rooms group's
	// committed offset, -1 if none.
	lastCommitted int64
	foreign       bool // a room whose records sit in a partition it does not hash to
}

// partFold is the fold of one partition.
type partFold struct {
	part      int32
	n         int // partition count
	b         *bounds
	committed int64
	records   int64
	rooms     map[string]*roomFold
	users     map[string]*codec.UserState // only this partition's rooms
	// required holds, per user and room, the source of the last presence
	// record derived from an event below the committed offset.
	required map[userRoom]int64
}

// folded is the fold of every partition.
type folded struct {
	parts      []*partFold
	start, end []int64
}

func (c *conn) foldEvents(ctx context.Context, b *bounds, done *atomic.Int64) (*folded, error) {
	if done == nil {
		done = new(atomic.Int64)
	}
	topic := string(c.cfg.Names.Events)
	start, end, err := c.offsets(topic)
	if err != nil {
		return nil, err
	}
	f := &folded{parts: make([]*partFold, len(start)), start: start, end: end}
	for p := range f.parts {
		pf := &partFold{part: int32(p), n: len(start), b: b, committed: -1,
			rooms: map[string]*roomFold{}, users: map[string]*codec.UserState{}}
		if b.committed != nil {
			pf.committed, pf.required = b.committed[p], map[userRoom]int64{}
		}
		f.parts[p] = pf
	}
	err = c.scan(ctx, topic, start, end, done, func(p int32) func(*sarama.ConsumerMessage) { return f.parts[p].add })
	if err != nil {
		return nil, err
	}
	return f, nil
}

// add folds one record of the partition, as the processors would.
func (f *partFold) add(m *sarama.ConsumerMessage) {
	f.records++
	rf := f.rooms[string(m.Key)]
	if rf != nil && rf.foreign {
		return
	}
	e, err := codec.DecodeEvent(m.Value)
	if err != nil || e.Room != string(m.Key) {
		return
	}
	if rf == nil {
		rf = &roomFold{bound: NoCursor, first: -1, lastCommitted: -1}
		f.rooms[e.Room] = rf
		if kafka.Partition(e.Room, f.n) != f.part {
			rf.foreign = true
			return
		}
		if f.b.room != nil {
			rf.bound = f.b.room(e.Room)
		}
	}
	off := m.Offset
	if rf.first < 0 {
		rf.first = off
	}
	below := off < f.committed
	if below {
		rf.lastCommitted = off
	}
	var effects []codec.Presence
	if off <= rf.bound {
		rf.state, effects, _ = processors.ApplyRoom(rf.state, e, off)
	} else {
		effects = processors.Derive(e, off)
	}
	for i := range effects {
		p := &effects[i]
		if below && f.required != nil {
			f.required[userRoom{p.User, p.Room}] = p.Source
		}
		if f.b.user != nil && p.Source > f.b.user(p.User, p.Room) {
			continue
		}
		f.users[p.User], _ = processors.ApplyUser(f.users[p.User], p)
	}
}

// mergeUsers joins the users of every partition: a room lives in one
// partition, so their rooms are disjoint, and LastSeen is the latest.
func mergeUsers(parts []*partFold) map[string]*codec.UserState {
	out := map[string]*codec.UserState{}
	for _, pf := range parts {
		for name, s := range pf.users {
			m := out[name]
			if m == nil {
				out[name] = s
				continue
			}
			for r, ur := range s.Rooms {
				m.Rooms[r] = ur
			}
			m.LastSeen = max(m.LastSeen, s.LastSeen)
		}
	}
	return out
}
