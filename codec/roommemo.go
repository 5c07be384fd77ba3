package codec

import (
	"slices"
	"strings"
	"unsafe"
)

// The rooms group encodes a room's row on every event of the room, and
// from one event to the next most of the row stays as it was: the same
// members, most with one session, and readers, whose keys encodeRoom
// sorted last time, and the same latest messages but the one added and the
// one dropped, whose JSON it wrote last time. A roomMemo keeps them from
// one encode of a row to the next, and the encode takes from it only what
// it checks to be the same as the row's: a set of keys when the map has as
// many keys and each of them; a member's session when the member's map has
// one entry and that is the session's (a lookup where finding the one
// entry took iterating over the map); a message's JSON when the message
// has the same cursor, user and mentions, all compared by value (the memo
// holds copies of them, not the row's slices, which a change in place
// would change along). What the row may have become in between (another
// decode of its bytes, a fold, any change at all) can therefore change
// only the cost of the encode, never its bytes. An encode that meets
// invalid UTF-8 empties the memo: the JSON it wrote for a message is then
// not Marshal's, which fails instead.

// roomMemo is what encodeRoomMemo remembers of a row's last encode.
type roomMemo struct {
	members []memberMemo // sorted by user
	reads   []string     // the sorted keys of Reads
	latest  latestMemo
	size    int // what the memo holds, in bytes, as RoomTableCodec counts them
}

// memberMemo is a member of a roomMemo: the user, and the session of the
// user's sessions when they were one.
type memberMemo struct {
	user, session string
}

// members appends a row's Members as object does, in the order of *memo
// when it holds the same users, and leaves them there. A user whose map
// has one entry, the session *memo holds for it, is written without
// iterating over the map.
func (a *appender) members(m map[string]map[string]string, memo *[]memberMemo) {
	if len(m) < 2 {
		object(a, m, (*appender).strMap, nil)
		return
	}
	if len(*memo) == len(m) && a.sortedMembers(m, *memo) {
		return
	}
	ms := (*memo)[:0]
	for u := range m {
		ms = append(ms, memberMemo{user: u})
	}
	slices.SortFunc(ms, func(x, y memberMemo) int { return strings.Compare(x.user, y.user) })
	clear(ms[len(ms):cap(ms)]) // do not pin users gone
	*memo = ms
	a.sortedMembers(m, ms)
}

// sortedMembers appends m in the order of ms, which is sorted and as long
// as m, and reports true if every user of ms is in m. Otherwise it leaves
// a as it found it and reports false. It updates the session of each user
// of ms with one session.
func (a *appender) sortedMembers(m map[string]map[string]string, ms []memberMemo) bool {
	start, bad := len(a.b), a.bad
	for i := range ms {
		e := &ms[i]
		ss, ok := m[e.user]
		if !ok {
			a.b, a.bad = a.b[:start], bad
			return false
		}
		a.key(i, e.user)
		if len(ss) != 1 {
			a.strMap(ss)
			continue
		}
		server, ok := ss[e.session]
		if !ok {
			for e.session, server = range ss { // the one session
			}
		}
		a.raw("{")
		a.str(e.session)
		a.raw(":")
		a.str(server)
		a.raw("}")
	}
	a.raw("}")
	return true
}

// bytes is about what m holds.
func (m *roomMemo) bytes() int {
	const str, entry = int(unsafe.Sizeof("")), int(unsafe.Sizeof(latestEntry{}))
	n := cap(m.members)*2*str + cap(m.reads)*str
	for _, l := range []*latestEncoded{&m.latest.cur, &m.latest.next} {
		n += cap(l.entries)*entry + cap(l.text) + 4*cap(l.lens) + cap(l.json)
	}
	return n
}
