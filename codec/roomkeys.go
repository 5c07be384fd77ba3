package codec

import (
	"slices"
	"sync"
)

// RoomTableCodec is the codec of the rooms group's table: RoomCodec, but
// its Encode remembers the sorted users of each room's Members and Reads,
// and the readers' indexes in a large room (at most maxKeys of all these
// for all rooms), for the next encode of the room's row. A binary row is
// written in that order, and sorting them was most of the encode of a large
// room; the next encode takes them after checking them against the row's
// maps, a lookup per key where sorting cost a comparison of names per key
// and per level. Its output is RoomCodec's, byte for byte. It is safe for
// concurrent use.
type RoomTableCodec struct {
	RoomCodec
	maxKeys int

	mu   sync.Mutex
	keys map[string]*rowKeys // by room
	n    int                 // keys held, of all rooms
}

// rowKeys are the sorted users of a row's Members and Reads, and for more
// than linearMax readers each reader's index among them. They are never
// written after they are made.
type rowKeys struct {
	members, reads []string
	index          map[string]int
}

// newRowKeys returns the keys of members and reads, which are sorted.
func newRowKeys(members, reads []string) *rowKeys {
	k := &rowKeys{members: members, reads: reads}
	if len(reads) > linearMax {
		k.index = make(map[string]int, len(reads))
		for i, u := range reads {
			k.index[u] = i
		}
	}
	return k
}

// size is what RoomTableCodec counts of k: its users, and the index's.
func (k *rowKeys) size() int { return len(k.members) + len(k.reads) + len(k.index) }

// NewRoomTableCodec returns a RoomTableCodec that remembers at most maxKeys
// users, for all rooms.
func NewRoomTableCodec(maxKeys int) *RoomTableCodec {
	return &RoomTableCodec{maxKeys: maxKeys, keys: map[string]*rowKeys{}}
}

// Encode implements goka.Codec.
func (c *RoomTableCodec) Encode(v interface{}) ([]byte, error) {
	s, ok := v.(*RoomState)
	if !ok || s == nil {
		return c.RoomCodec.Encode(v)
	}
	c.mu.Lock()
	old := c.keys[s.Room]
	c.mu.Unlock()
	k := keysOf(s, old)
	b, err := encodeRoomBinary(s, k)
	if k == old || k.size() > c.maxKeys/16 {
		return b, err // nothing new, or too large to crowd out the rest
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if o := c.keys[s.Room]; o != nil {
		c.n -= o.size()
		delete(c.keys, s.Room)
	}
	for r, o := range c.keys {
		if c.n+k.size() <= c.maxKeys {
			break
		}
		c.n -= o.size()
		delete(c.keys, r)
	}
	c.keys[s.Room] = k
	c.n += k.size()
	return b, err
}

// keysOf returns the sorted users of s's Members and Reads: old itself, or
// its parts, where s's maps hold exactly those keys, else sorted anew.
func keysOf(s *RoomState, old *rowKeys) *rowKeys {
	if old == nil {
		return newRowKeys(sortedOf(s.Members), sortedOf(s.Reads))
	}
	members, sameMembers := old.members, sameKeys(old.members, s.Members)
	if !sameMembers {
		members = sortedOf(s.Members)
	}
	if !sameKeys(old.reads, s.Reads) {
		return newRowKeys(members, sortedOf(s.Reads))
	}
	if sameMembers {
		return old
	}
	return &rowKeys{members: members, reads: old.reads, index: old.index}
}

// sameKeys reports whether m's keys are exactly keys, which are distinct:
// as many, and each of them in m.
func sameKeys[V any](keys []string, m map[string]V) bool {
	if len(keys) != len(m) {
		return false
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// sortedOf returns m's keys, sorted; nil for an empty m.
func sortedOf[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	return appendSorted(make([]string, 0, len(m)), m)
}

// appendSorted appends m's keys to dst, which it returns with them sorted
// (dst is expected empty).
func appendSorted[V any](dst []string, m map[string]V) []string {
	for k := range m {
		dst = append(dst, k)
	}
	slices.Sort(dst)
	return dst
}
