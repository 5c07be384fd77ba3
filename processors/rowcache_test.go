package processors

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/chatstate/chatstate/codec"
)

func TestRowCacheHandsOutOnce(t *testing.T) {
	c := newRowCache(codec.RoomCodec{}, 1<<20)
	s := codec.NewRoomState("lobby")
	s.Members["alice"] = map[string]string{"s1": "srv"}
	b, err := c.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Decode(b)
	if err != nil || v != any(s) {
		t.Fatalf("first decode: %v %v, want the encoded value itself", v, err)
	}
	v, err = c.Decode(b)
	if err != nil || v == any(s) || !reflect.DeepEqual(v, s) {
		t.Fatalf("second decode: %#v %v, want an equal copy decoded afresh", v, err)
	}
	if _, err := c.Decode([]byte(`{"v":2,"room":"x","extra":1}`)); err == nil {
		t.Fatal("a bad row decoded through the cache")
	}
}

func TestRowCacheBounded(t *testing.T) {
	const limit = 64 << 10
	c := newRowCache(codec.RoomCodec{}, limit)
	var last []byte
	for i := range 2000 {
		b, err := c.Encode(codec.NewRoomState(fmt.Sprintf("room-%04d", i)))
		if err != nil {
			t.Fatal(err)
		}
		last = b
		if c.bytes > limit {
			t.Fatalf("after %d rows the cache holds %d bytes, limit %d", i+1, c.bytes, limit)
		}
	}
	sum := 0
	for k := range c.rows {
		sum += len(k)
	}
	if sum != c.bytes {
		t.Fatalf("cache counts %d bytes, holds %d", c.bytes, sum)
	}
	if _, ok := c.rows[string(last)]; !ok {
		t.Fatal("the latest row was not kept")
	}
}

func TestRowCacheConcurrent(t *testing.T) {
	c := newRowCache(codec.RoomCodec{}, 16<<10)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := codec.NewRoomState(fmt.Sprint("room-", g))
			for i := range 500 {
				s.AddMessage(int64(i))
				s.Cursor = int64(i)
				b, err := c.Encode(s)
				if err != nil {
					t.Error(err)
					return
				}
				v, err := c.Decode(b)
				if err != nil {
					t.Error(err)
					return
				}
				s = codec.AsRoom(v)
				if s.Cursor != int64(i) {
					t.Errorf("room-%d: cursor %d after writing %d", g, s.Cursor, i)
					return
				}
			}
		}()
	}
	wg.Wait()
}
