//go:build !race

// The race detector makes sync.Pool drop a quarter of what it is given, and
// each drop costs the encoders a new buffer grown from nothing, so that the
// count of allocations means nothing under -race.

package codec

import (
	"fmt"
	"testing"
)

// TestEncodeRoomAllocs holds the table's encoder of a row it saw before to
// its one allocation, the result.
func TestEncodeRoomAllocs(t *testing.T) {
	s := NewRoomState("lobby")
	s.Reads = map[string]*ReadMark{}
	for i := range 100 {
		u := fmt.Sprintf("user-%03d", i)
		s.Members[u] = map[string]string{"s1": "h", "s2": "h"}
		s.Reads[u] = &ReadMark{Count: int64(i)}
	}
	s.Marks = []int64{1, 2, 3}
	c := NewRoomTableCodec(1 << 20)
	_, _ = c.Encode(s) // fill the pool and the codec's memory of the row
	if n := testing.AllocsPerRun(100, func() { _, _ = c.Encode(s) }); n > 1 {
		t.Fatalf("RoomTableCodec.Encode makes %v allocations, want 1", n)
	}
}

// TestEncodeUserAllocs holds the encoder to its one allocation, the result.
func TestEncodeUserAllocs(t *testing.T) {
	s := NewUserState("alice")
	for i := range 20 {
		s.Rooms[fmt.Sprint("room-", i)] = &UserRoom{Sessions: map[string]string{"a": "h", "b": "h"}, Applied: int64(i)}
	}
	encodeUser(s) // fill the pool
	if n := testing.AllocsPerRun(100, func() { _, _ = encodeUser(s) }); n > 1 {
		t.Fatalf("encodeUser makes %v allocations, want 1", n)
	}
}

// TestEncodeServerAllocs holds the encoder to its one allocation, the
// result.
func TestEncodeServerAllocs(t *testing.T) {
	s := NewBucketState("instance-1", 7)
	for i := range 80 {
		h := Held{Room: fmt.Sprint("room-", i%50), User: fmt.Sprint("user-", i), Session: fmt.Sprint("session-", i)}
		s.Held[h.Key()] = h
	}
	encodeServer(s) // fill the pool
	if n := testing.AllocsPerRun(100, func() { _, _ = encodeServer(s) }); n > 1 {
		t.Fatalf("encodeServer makes %v allocations, want 1", n)
	}
}

// TestEncodePresenceAllocs holds the encoder to its one allocation, the
// result.
func TestEncodePresenceAllocs(t *testing.T) {
	p := &Presence{V: 1, Op: AddSession, User: "alice", Room: "lobby", Session: "s1", Server: "h", Source: 42, TS: "2026-01-02T00:00:00.000Z"}
	encodePresence(p) // fill the pool
	if n := testing.AllocsPerRun(100, func() { _, _ = encodePresence(p) }); n > 1 {
		t.Fatalf("encodePresence makes %v allocations, want 1", n)
	}
}

// TestDecodeEventAllocs holds DecodeEvent to its allocations: the event,
// its short strings together, and its text. (Its decoders come from a pool
// too, the other reason this file is not built under -race.)
func TestDecodeEventAllocs(t *testing.T) {
	data := []byte(`{"v":1,"id":"0a1b2c3d4e5f6074","type":"message","room":"lobby","user":"alice","ts":"2024-05-01T12:00:03.000Z","text":"hello\nworld","server":"server-1"}`)
	if _, err := DecodeEvent(data); err != nil { // fill the pool
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = DecodeEvent(data) }); n > 3 {
		t.Fatalf("DecodeEvent makes %v allocations, want 3", n)
	}
}

// TestEncodeRoomDropsHugeBuffers: the encoder of a row of 20,000 members
// does not go back to the pool, where it would pin its buffers.
func TestEncodeRoomDropsHugeBuffers(t *testing.T) {
	s := NewRoomState("big")
	for i := range 20000 {
		s.Members[fmt.Sprintf("user-%05d", i)] = map[string]string{"s": "h"}
	}
	for range 3 {
		if _, err := encodeRoomBinary(s, nil); err != nil {
			t.Fatal(err)
		}
		e := binBuffers.Get().(*binEncoder)
		if cap(e.b) > keepBytes || cap(e.keys) > keepNames {
			t.Fatalf("the pool kept an encoder of %d bytes and %d names", cap(e.b), cap(e.keys))
		}
		binBuffers.Put(e)
	}
}
