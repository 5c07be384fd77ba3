package replay

import (
	"context"
	"hash/maphash"
	"sync"
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
	l := &Log{Rooms: map[string]*codec.RoomState{}, Users: f.users.all(), Start: f.start, End: f.end}
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
	// user returns the user's table row: its rooms' Applied watermarks are
	// the last source cursors of the user's records to fold (none for a
	// room it lacks); nil: all.
	user func(user string) *codec.UserState
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
	users     *userFolds
	// behind holds, per user and room, the source of the last presence
	// record derived from an event below the committed offset that the
	// user's row (as bounds.user says) has not applied: the candidates for
	// a users table that lags or lost a record. Only those are kept, so a
	// healthy system keeps next to none.
	behind map[userRoom]int64
}

// folded is the fold of every partition.
type folded struct {
	parts      []*partFold
	users      *userFolds
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
	f := &folded{parts: make([]*partFold, len(start)), users: newUserFolds(b.user), start: start, end: end}
	for p := range f.parts {
		pf := &partFold{part: int32(p), n: len(start), b: b, committed: -1,
			rooms: map[string]*roomFold{}, users: f.users}
		if b.committed != nil {
			pf.committed, pf.behind = b.committed[p], map[userRoom]int64{}
		}
		f.parts[p] = pf
	}
	// Where retention deleted records under the read, the fold began past
	// them: its start says so.
	f.start, err = c.scan(ctx, topic, start, end, done, func(p int32) func(*sarama.ConsumerMessage) { return f.parts[p].add })
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
		rf = &roomFold{bound: NoCursor, lastCommitted: -1}
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
		if !f.users.apply(p) && below && f.behind != nil {
			f.behind[userRoom{p.User, p.Room}] = p.Source
		}
	}
}

// userFolds are the users' states, shared by the partitions' folds: a
// user's presence records come from the partitions of all the user's rooms.
// Each partition's fold applies the records of its rooms in cursor order;
// how those of different partitions interleave changes nothing, since a
// room's part of the state is its own and LastSeen is the latest ts.
type userFolds struct {
	seed maphash.Seed
	// row returns the user's table row, whose Applied watermarks bound the
	// fold; nil: no bound.
	row    func(user string) *codec.UserState
	shards [64]struct {
		mu sync.Mutex
		m  map[string]*userEntry
	}
}

// userEntry is one user's fold, with the table row that bounds it: one
// lookup finds both, which matters at a million records.
type userEntry struct {
	state, row *codec.UserState
}

func newUserFolds(row func(user string) *codec.UserState) *userFolds {
	u := &userFolds{seed: maphash.MakeSeed(), row: row}
	for i := range u.shards {
		u.shards[i].m = map[string]*userEntry{}
	}
	return u
}

// apply folds one presence record with processors.ApplyUser, unless it is
// beyond what the user's row has applied; it reports whether it folded it.
func (u *userFolds) apply(p *codec.Presence) bool {
	sh := &u.shards[maphash.String(u.seed, p.User)%uint64(len(u.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	f := sh.m[p.User]
	if f == nil {
		f = &userEntry{}
		if u.row != nil {
			f.row = u.row(p.User)
		}
		sh.m[p.User] = f
	}
	if u.row != nil {
		if f.row == nil || f.row.Rooms[p.Room] == nil || p.Source > f.row.Rooms[p.Room].Applied {
			return false
		}
	}
	f.state, _ = processors.ApplyUser(f.state, p)
	return true
}

// get returns a user's state, or nil; call it once the fold is done.
func (u *userFolds) get(user string) *codec.UserState {
	sh := &u.shards[maphash.String(u.seed, user)%uint64(len(u.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if f := sh.m[user]; f != nil {
		return f.state
	}
	return nil
}

// all returns every user's state.
func (u *userFolds) all() map[string]*codec.UserState {
	out := map[string]*codec.UserState{}
	for i := range u.shards {
		for k, f := range u.shards[i].m {
			if f.state != nil {
				out[k] = f.state
			}
		}
	}
	return out
}
