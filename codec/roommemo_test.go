package codec

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// memoRoom is a room of ten readers whose latest window holds n messages,
// every third mentioning someone.
func memoRoom(n int) *RoomState {
	s := NewRoomState("lobby")
	s.Reads = map[string]*ReadMark{}
	for i := range 10 {
		u := fmt.Sprint("user-", i)
		s.Members[u] = map[string]string{"s" + u: "server-1"}
		s.Reads[u] = &ReadMark{Cursor: int64(i), Count: 3}
	}
	for range n {
		addLatest(s)
	}
	return s
}

// addLatest adds a message to s as the fold does, dropping the oldest
// past LatestKeep.
func addLatest(s *RoomState) {
	s.Cursor++
	m := LatestMessage{Cursor: s.Cursor, User: fmt.Sprint("user-", s.Cursor%10)}
	if s.Cursor%3 == 0 {
		m.Mentioned = []string{fmt.Sprint("user-", (s.Cursor+1)%10), fmt.Sprint("user-", (s.Cursor+2)%10)}
	}
	s.Latest = append(s.Latest, m)
	if len(s.Latest) > LatestKeep {
		s.Latest = s.Latest[1:]
	}
}

// TestEncodeRoomMemoLikeMarshal changes a row between encodes with one
// memo in every way the memo could miss: each encode must still be
// Marshal's.
func TestEncodeRoomMemoLikeMarshal(t *testing.T) {
	s, m := memoRoom(70), new(roomMemo)
	steps := []struct {
		name   string
		change func()
	}{
		{"first", func() {}},
		{"unchanged", func() {}},
		{"a message", func() { addLatest(s) }},
		{"three messages", func() { addLatest(s); addLatest(s); addLatest(s) }},
		{"a user changed in place", func() { s.Latest[5].User = "user-x" }},
		{"a cursor changed in place", func() { s.Latest[6].Cursor = 1 }},
		{"a mention changed in place", func() {
			for i := range s.Latest {
				if len(s.Latest[i].Mentioned) > 0 {
					s.Latest[i].Mentioned[1] = "user-y"
					return
				}
			}
			t.Fatal("no mention in the window")
		}},
		{"mentions set", func() { s.Latest[7].Mentioned = []string{"user-a", "user-b"} }},
		{"a mention made the one before", func() { s.Latest[7].Mentioned[1] = "user-a" }},
		{"mentions dropped", func() { s.Latest[9].Mentioned, s.Latest[12].Mentioned = nil, []string{} }},
		{"an entry dropped in the middle", func() { s.Latest = append(s.Latest[:20:20], s.Latest[21:]...) }},
		{"entries swapped", func() { s.Latest[30], s.Latest[31] = s.Latest[31], s.Latest[30] }},
		{"a cursor repeated", func() { s.Latest[40].Cursor = s.Latest[0].Cursor }},
		{"window shrunk", func() { s.Latest = s.Latest[50:] }},
		{"window emptied", func() { s.Latest = nil }},
		{"window refilled", func() { addLatest(s); addLatest(s) }},
		{"invalid UTF-8 in an entry", func() { addLatest(s); s.Latest[1].User = "bad\xff" }},
		{"a message, the invalid entry kept", func() { addLatest(s) }},
		{"entry fixed", func() { s.Latest[1].User = "good" }},
		{"escapes in an entry", func() { s.Latest[0].User = "q\"\\\n\u2028" }},
		{"a session replaced", func() { s.Members["user-1"] = map[string]string{"other": "server-2"} }},
		{"a server changed", func() { s.Members["user-2"]["suser-2"] = "server-3" }},
		{"a session added", func() { s.Members["user-1"]["suser-1"] = "server-1" }},
		{"a session removed", func() { delete(s.Members["user-1"], "other") }},
		{"sessions emptied", func() { s.Members["user-7"] = map[string]string{} }},
		{"a member replaced", func() { delete(s.Members, "user-3"); s.Members["user-z"] = nil }},
		{"a reader replaced", func() { delete(s.Reads, "user-4"); s.Reads["\"q"] = nil }},
		{"a member added", func() { s.Members["user-n"] = map[string]string{"a": "b", "c": "d"} }},
		{"a reader removed", func() { delete(s.Reads, "user-5") }},
		{"invalid UTF-8 in a key", func() { delete(s.Members, "user-6"); s.Members["\xfe"] = nil }},
		{"key fixed", func() { delete(s.Members, "\xfe"); s.Members["user-6"] = nil }},
		{"two members left", func() {
			for u := range s.Members {
				if len(s.Members) > 2 {
					delete(s.Members, u)
				}
			}
		}},
		{"no reader left", func() { s.Reads = nil }},
		{"readers back", func() { s.Reads = map[string]*ReadMark{"a": {}, "b": nil, "c": {Count: 1}} }},
		{"a message", func() { addLatest(s) }},
	}
	for _, st := range steps {
		st.change()
		got, err := encodeRoomMemo(s, m)
		if t.Run(st.name, func(t *testing.T) { sameAsMarshal(t, s, got, err) }) {
			continue
		}
		t.FailNow()
	}
}

// TestEncodeRoomMemoReuses checks that the memo is used, not only
// harmless: an entry's remembered JSON, and the remembered key order, are
// what the next encode writes (seen here by changing them behind the
// memo's back, which nothing else does).
func TestEncodeRoomMemoReuses(t *testing.T) {
	s, m := memoRoom(LatestKeep+3), new(roomMemo)
	if _, err := encodeRoomMemo(s, m); err != nil {
		t.Fatal(err)
	}
	e := m.latest.cur.entries[10]
	if want := fmt.Sprintf(`{"c":%d,"u":%q`, e.cursor, s.Latest[10].User); !strings.HasPrefix(string(m.latest.cur.json[e.start:e.end]), want) {
		t.Fatalf("memo entry 10 holds %s, want it to start with %s", m.latest.cur.json[e.start:e.end], want)
	}
	m.latest.cur.json[e.start+2] = 'C' // {"C":…
	m.members[0], m.members[1] = m.members[1], m.members[0]
	m.members[2].session = "suser-x" // found missing, looked up again
	addLatest(s)
	got, err := encodeRoomMemo(s, m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte(fmt.Sprintf(`{"C":%d,`, e.cursor))) {
		t.Errorf("the remembered entry was not copied: %s", got)
	}
	if !bytes.Contains(got, []byte(`"members":{"user-1":{"suser-1":"server-1"},"user-0":`)) {
		t.Errorf("the remembered key order was not used: %s", got)
	}
}

// TestRoomTableCodec checks the codec against RoomCodec over rooms that
// evolve and crowd each other out of a small memory, and its accounting.
func TestRoomTableCodec(t *testing.T) {
	c := NewRoomTableCodec(64 << 10)
	rooms := make([]*RoomState, 40)
	for i := range rooms {
		rooms[i] = memoRoom(i * 3)
		rooms[i].Room = fmt.Sprint("room-", i)
	}
	for step := range 300 {
		s := rooms[step*7%len(rooms)]
		addLatest(s)
		got, err := c.Encode(s)
		want, wantErr := RoomCodec{}.Encode(s)
		if !bytes.Equal(got, want) || err != nil || wantErr != nil {
			t.Fatalf("step %d: %s, %v\nwant %s, %v", step, got, err, want, wantErr)
		}
		sum := 0
		for _, m := range c.memos {
			sum += m.size
		}
		if sum != c.bytes || c.bytes > c.maxBytes {
			t.Fatalf("step %d: memos hold %d bytes, counted %d, limit %d", step, sum, c.bytes, c.maxBytes)
		}
	}
	if len(c.memos) == 0 || len(c.memos) == len(rooms) {
		t.Fatalf("%d memos for %d rooms in 64 KiB: the limit was not reached, or nothing was kept", len(c.memos), len(rooms))
	}
	for _, v := range []any{nil, (*RoomState)(nil), "x"} {
		got, err := c.Encode(v)
		want, wantErr := RoomCodec{}.Encode(v)
		if !bytes.Equal(got, want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("Encode(%#v) = %q, %v; RoomCodec: %q, %v", v, got, err, want, wantErr)
		}
	}
	s := memoRoom(5)
	if _, err := c.Encode(s); err != nil || c.memos["lobby"] == nil {
		t.Fatalf("lobby: error %v, memo %v", err, c.memos["lobby"])
	}
	s.Latest[2].User = "bad\xff"
	if _, err := c.Encode(s); err == nil || c.memos["lobby"] != nil {
		t.Fatalf("a row with invalid UTF-8: error %v, memo %v; want an error and no memo", err, c.memos["lobby"])
	}
}

// TestRoomTableCodecConcurrent encodes rooms from several goroutines, some
// of them the same room, for -race.
func TestRoomTableCodecConcurrent(t *testing.T) {
	c := NewRoomTableCodec(1 << 20)
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			s := memoRoom(g * 20)
			s.Room = fmt.Sprint("room-", g%3)
			for range 300 {
				addLatest(s)
				got, err := c.Encode(s)
				want, wantErr := RoomCodec{}.Encode(s)
				if !bytes.Equal(got, want) || err != nil || wantErr != nil {
					t.Errorf("goroutine %d: %s, %v\nwant %s, %v", g, got, err, want, wantErr)
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzRoomEncodeMemo changes a row step by step, one memo across all its
// encodes, each of which must be Marshal's. names are the users and keys,
// split at '|'; each byte of ops is a change: its low three bits choose
// what, the rest which name or entry.
func FuzzRoomEncodeMemo(f *testing.F) {
	f.Add("al|bo|cy", []byte{0, 8, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 0})
	f.Add("a|\"|\xff|é|\u2028", []byte{0, 8, 16, 24, 32, 2, 10, 3, 11, 0, 0, 0})
	f.Add("user-1|user-2", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0})
	f.Fuzz(func(t *testing.T, names string, ops []byte) {
		list := strings.Split(names, "|")
		name := func(i int) string { return list[i%len(list)] }
		s, m := NewRoomState("r"), new(roomMemo)
		s.Reads = map[string]*ReadMark{}
		for i, op := range ops {
			k := int(op >> 3)
			switch op & 7 {
			case 0: // a message mentioning the next name, the window kept at 8
				s.Cursor++
				s.Latest = append(s.Latest, LatestMessage{Cursor: s.Cursor, User: name(k), Mentioned: []string{name(k + 1)}[:k%2]})
				if len(s.Latest) > 8 {
					s.Latest = s.Latest[1:]
				}
			case 1: // the oldest message dropped
				if len(s.Latest) > 0 {
					s.Latest = s.Latest[1:]
				}
			case 2: // a message's user changed in place
				if len(s.Latest) > 0 {
					s.Latest[k%len(s.Latest)].User = name(k + i)
				}
			case 3: // a message's mentions changed in place
				if len(s.Latest) > 0 {
					if ms := s.Latest[k%len(s.Latest)].Mentioned; len(ms) > 0 {
						ms[0] = name(k + i)
					}
				}
			case 4: // a member with a session, or a session more, and a reader
				if ss := s.Members[name(k)]; ss != nil && k%2 == 1 {
					ss[name(i)] = name(k)
				} else {
					s.Members[name(k)] = map[string]string{name(i): name(k)}
				}
				s.Reads[name(k)] = &ReadMark{Cursor: int64(i)}
			case 5: // a member removed, or one of their sessions
				if k%2 == 1 {
					delete(s.Members[name(k)], name(k+i))
				} else {
					delete(s.Members, name(k))
				}
			case 6: // a reader removed
				delete(s.Reads, name(k))
			case 7: // a message's cursor changed in place
				if len(s.Latest) > 0 {
					s.Latest[k%len(s.Latest)].Cursor = int64(k)
				}
			}
			got, err := encodeRoomMemo(s, m)
			sameAsMarshal(t, s, got, err)
		}
	})
}
