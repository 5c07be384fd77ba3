package codec

import "sync"

// RoomTableCodec is the codec of the rooms group's table: RoomCodec, but
// its Encode remembers, for each room it encoded lately, what the next
// encode of the room's row can take from this one (see roomMemo), at most
// maxBytes of it for all rooms. Its output is RoomCodec's, byte for byte.
// It is safe for concurrent use.
type RoomTableCodec struct {
	RoomCodec
	maxBytes int

	mu    sync.Mutex
	memos map[string]*roomMemo // by room
	bytes int
}

// NewRoomTableCodec returns a RoomTableCodec that remembers at most
// maxBytes.
func NewRoomTableCodec(maxBytes int) *RoomTableCodec {
	return &RoomTableCodec{maxBytes: maxBytes, memos: map[string]*roomMemo{}}
}

// Encode implements goka.Codec.
func (c *RoomTableCodec) Encode(v interface{}) ([]byte, error) {
	s, ok := v.(*RoomState)
	if !ok || s == nil {
		return c.RoomCodec.Encode(v)
	}
	// The memo is taken out while in use, so that two encodes of one room
	// at once (goka does not do that) would not share it.
	c.mu.Lock()
	m := c.memos[s.Room]
	if m != nil {
		delete(c.memos, s.Room)
		c.bytes -= m.size
	}
	c.mu.Unlock()
	if m == nil {
		m = new(roomMemo)
	}
	b, err := encodeRoomMemo(s, m)
	if m.size = m.bytes(); err != nil || m.size > c.maxBytes/16 {
		// A failed encode left the memo empty; a row this large is rare,
		// and its memo would crowd out the rest.
		return b, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, o := range c.memos {
		if c.bytes+m.size <= c.maxBytes {
			break
		}
		c.bytes -= o.size
		delete(c.memos, k)
	}
	if o := c.memos[s.Room]; o != nil {
		c.bytes -= o.size
	}
	c.memos[s.Room] = m
	c.bytes += m.size
	return b, nil
}
