package tablestore

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lovoo/goka/storage"
	"github.com/syndtr/goleveldb/leveldb"
)

const testTopic = "chat-rooms-table"

// open builds the store of testTopic/0 under dir.
func open(t *testing.T, dir string, o Options) *Store {
	t.Helper()
	st, err := BuilderWithOptions(dir, o)(testTopic, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Open(); err != nil {
		t.Fatal(err)
	}
	return st.(*Store)
}

// crash abandons s the way a killed process does: what is buffered is lost,
// leveldb keeps what it has written.
func crash(t *testing.T, s *Store) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
}

// stored returns the value of key in leveldb itself, bypassing the buffer.
func stored(t *testing.T, s *Store, key string) []byte {
	t.Helper()
	v, err := s.db.Get([]byte(key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustGet(t *testing.T, s storage.Storage, key string) []byte {
	t.Helper()
	v, err := s.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustHas(t *testing.T, s storage.Storage, key string) bool {
	t.Helper()
	ok, err := s.Has(key)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func mustOffset(t *testing.T, s storage.Storage) int64 {
	t.Helper()
	off, err := s.GetOffset(-3)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadYourWritesWhileRecovering(t *testing.T) {
	s := open(t, t.TempDir(), Options{})
	defer s.Close()

	if got := mustOffset(t, s); got != -3 {
		t.Fatalf("offset of an empty store: %d, want the default -3", got)
	}
	check(t, s.Set("a", []byte("1")))
	check(t, s.SetOffset(0))
	value := []byte("2")
	check(t, s.Set("a", value))
	value[0] = 'x' // the store must have copied it
	check(t, s.Set("empty", []byte{}))
	check(t, s.SetOffset(1))

	if v := stored(t, s, "a"); v != nil {
		t.Fatalf("a is in leveldb already (%q): the write was not buffered", v)
	}
	if got := mustGet(t, s, "a"); string(got) != "2" {
		t.Fatalf("Get(a) = %q, want 2", got)
	}
	got := mustGet(t, s, "a")
	got[0] = 'y' // the caller owns what Get returns
	if got := mustGet(t, s, "a"); string(got) != "2" {
		t.Fatalf("Get(a) = %q after the caller changed a returned value, want 2", got)
	}
	if got := mustGet(t, s, "empty"); got == nil || len(got) != 0 {
		t.Fatalf("Get(empty) = %#v, want an empty, non-nil value", got)
	}
	if !mustHas(t, s, "a") || mustHas(t, s, "b") {
		t.Fatal("Has does not see the buffered writes")
	}
	if got := mustGet(t, s, "b"); got != nil {
		t.Fatalf("Get(b) = %q, want nil", got)
	}
	if got := mustOffset(t, s); got != 1 {
		t.Fatalf("offset %d, want 1", got)
	}

	check(t, s.MarkRecovered())
	if v := stored(t, s, "a"); string(v) != "2" {
		t.Fatalf("a in leveldb after MarkRecovered: %q, want 2", v)
	}
	if v := stored(t, s, offsetKey); string(v) != "1" {
		t.Fatalf("offset in leveldb after MarkRecovered: %q, want 1", v)
	}
	check(t, s.MarkRecovered()) // again: nothing happens
	if got := mustOffset(t, s); got != 1 {
		t.Fatalf("offset %d, want 1", got)
	}
}

// TestRecoveredWritesGoInBatches: once recovered, writes are buffered until
// RunBytes of them were made, then written with the offset at the next
// SetOffset; reads see them all along, and Close writes the rest.
func TestRecoveredWritesGoInBatches(t *testing.T) {
	dir := t.TempDir()
	// Each write of a one-byte key and value counts 66 bytes.
	s := open(t, dir, Options{RunBytes: 200})
	check(t, s.MarkRecovered())
	check(t, s.Set("stored", []byte("v")))
	check(t, s.SetOffset(0))
	check(t, s.Set("c", []byte("1")))
	check(t, s.SetOffset(1))
	if stored(t, s, "c") != nil || stored(t, s, offsetKey) != nil {
		t.Fatal("a recovered write reached leveldb before RunBytes of writes")
	}
	if got := mustGet(t, s, "c"); string(got) != "1" || !mustHas(t, s, "c") || mustOffset(t, s) != 1 {
		t.Fatalf("Get(c) = %q, offset %d: reads do not see the buffered writes", got, mustOffset(t, s))
	}
	// The same key again counts again: it is the writes that are bounded.
	check(t, s.Set("c", []byte("2")))
	if stored(t, s, "c") != nil {
		t.Fatal("the buffer was written by Set before twice RunBytes")
	}
	check(t, s.SetOffset(2))
	if v, off := stored(t, s, "c"), stored(t, s, offsetKey); string(v) != "2" || string(off) != "2" {
		t.Fatalf("after RunBytes of writes and an offset, leveldb holds c=%q, offset %q; want 2 and 2", v, off)
	}
	// Deletes are buffered too.
	check(t, s.Delete("stored"))
	check(t, s.SetOffset(3))
	if stored(t, s, "stored") == nil || mustHas(t, s, "stored") {
		t.Fatal("a recovered Delete went to leveldb at once, or reads do not see it")
	}
	check(t, s.Close())
	s = open(t, dir, Options{})
	defer s.Close()
	if stored(t, s, "stored") != nil || mustOffset(t, s) != 3 {
		t.Fatalf("Close did not write the buffered delete and offset (offset %d)", mustOffset(t, s))
	}
}

func TestDeleteWhileRecovering(t *testing.T) {
	// A buffer this small is written by the second SetOffset.
	s := open(t, t.TempDir(), Options{BufferBytes: 100})
	defer s.Close()

	check(t, s.Set("stored", []byte("v")))
	check(t, s.Set("other", []byte("v")))
	check(t, s.SetOffset(1))
	if v := stored(t, s, "stored"); string(v) != "v" {
		t.Fatalf("stored was not written (%q)", v)
	}
	s.maxBytes = 1 << 20

	// Delete a row leveldb has, and one only the buffer has.
	check(t, s.Delete("stored"))
	check(t, s.Set("buffered", []byte("v")))
	check(t, s.Delete("buffered"))
	check(t, s.Delete("never")) // deleting a missing key is no error
	check(t, s.SetOffset(2))
	for _, k := range []string{"stored", "buffered", "never"} {
		if mustHas(t, s, k) || mustGet(t, s, k) != nil {
			t.Fatalf("%s is there after its deletion", k)
		}
	}
	if stored(t, s, "stored") == nil {
		t.Fatal("the deletion of stored went to leveldb before the buffer was written")
	}

	// Set again after a delete.
	check(t, s.Delete("other"))
	check(t, s.Set("other", []byte("w")))
	if got := mustGet(t, s, "other"); string(got) != "w" {
		t.Fatalf("Get(other) = %q, want w", got)
	}

	check(t, s.MarkRecovered())
	if stored(t, s, "stored") != nil || stored(t, s, "buffered") != nil {
		t.Fatal("deleted rows are in leveldb after MarkRecovered")
	}
	if v := stored(t, s, "other"); string(v) != "w" {
		t.Fatalf("other in leveldb: %q, want w", v)
	}
}

// keys lists what it iterates over.
func keys(t *testing.T, it storage.Iterator, err error) []string {
	t.Helper()
	check(t, err)
	defer it.Release()
	var ks []string
	for it.Next() {
		v, err := it.Value()
		check(t, err)
		ks = append(ks, string(it.Key())+"="+string(v))
	}
	check(t, it.Err())
	return ks
}

func TestIteratorSeesBufferedWrites(t *testing.T) {
	s := open(t, t.TempDir(), Options{BufferBytes: 100})
	defer s.Close()

	// Written by the SetOffset (small buffer), then changed in the buffer.
	check(t, s.Set("room-1", []byte("a")))
	check(t, s.Set("room-2", []byte("b")))
	check(t, s.Set("room-3", []byte("c")))
	check(t, s.SetOffset(2))
	s.maxBytes = 1 << 20
	check(t, s.Set("room-0", []byte("z")))
	check(t, s.Set("room-2", []byte("B")))
	check(t, s.Delete("room-3"))
	check(t, s.Set("user-1", []byte("u")))
	check(t, s.SetOffset(6))

	it, err := s.Iterator()
	want := "[room-0=z room-1=a room-2=B user-1=u]"
	if got := fmt.Sprint(keys(t, it, err)); got != want {
		t.Fatalf("Iterator: %s, want %s (the offset key skipped)", got, want)
	}
	check(t, s.Set("room-4", []byte("d")))
	it, err = s.IteratorWithRange([]byte("room-"), nil)
	if got, want := fmt.Sprint(keys(t, it, err)), "[room-0=z room-1=a room-2=B room-4=d]"; got != want {
		t.Fatalf("IteratorWithRange(room-, nil): %s, want %s", got, want)
	}
	check(t, s.Delete("room-1"))
	it, err = s.IteratorWithRange([]byte("room-1"), []byte("room-4"))
	if got, want := fmt.Sprint(keys(t, it, err)), "[room-2=B]"; got != want {
		t.Fatalf("IteratorWithRange(room-1, room-4): %s, want %s", got, want)
	}

	// An iterator is a snapshot: later writes do not show.
	it, err = s.Iterator()
	check(t, err)
	check(t, s.Set("room-5", []byte("e")))
	if got, want := fmt.Sprint(keys(t, it, nil)), "[room-0=z room-2=B room-4=d user-1=u]"; got != want {
		t.Fatalf("snapshot: %s, want %s", got, want)
	}
	if got := mustOffset(t, s); got != 6 {
		t.Fatalf("offset %d, want 6", got)
	}
}

// record is one record of a test log: a row of key whose value is the
// record's offset, or the deletion of key.
type record struct {
	key     string
	deleted bool
}

func TestClosed(t *testing.T) {
	s := open(t, t.TempDir(), Options{})
	check(t, s.Set("a", []byte("1")))
	check(t, s.Close())
	check(t, s.Close())
	if err := s.Set("a", []byte("2")); err == nil {
		t.Fatal("Set after Close: no error")
	}
	if _, err := s.Get("a"); err == nil {
		t.Fatal("Get after Close: no error")
	}
	if _, err := s.Iterator(); err == nil {
		t.Fatal("Iterator after Close: no error")
	}
	if err := s.MarkRecovered(); err == nil {
		t.Fatal("MarkRecovered after Close: no error")
	}
}

// TestConcurrentUse runs goka's pattern under the race detector: one
// goroutine writes rows (and checks it reads them back), others set offsets
// as producer callbacks do, read rows, offsets and iterate, while the store
// switches from recovering to recovered.
func TestConcurrentUse(t *testing.T) {
	lo := LevelDBOptions()
	lo.WriteBuffer = 4 << 10
	s := open(t, t.TempDir(), Options{BufferBytes: 6 << 10, LevelDB: lo})
	defer s.Close()

	const rows = 3000
	deadline := time.Now().Add(time.Minute)
	var wg sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, 16)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}

	wg.Add(1)
	go func() { // the partition's goroutine
		defer wg.Done()
		defer close(done)
		for i := range rows {
			key := fmt.Sprintf("k%03d", i%200)
			val := []byte(strconv.Itoa(i))
			if err := s.Set(key, val); err != nil {
				fail(err)
				return
			}
			if got, err := s.Get(key); err != nil || !bytes.Equal(got, val) {
				fail(fmt.Errorf("row %d: Get(%s) = %q, %v after Set", i, key, got, err))
				return
			}
			if i%7 == 0 {
				if err := s.Delete(key); err != nil {
					fail(err)
					return
				}
				if ok, err := s.Has(key); err != nil || ok {
					fail(fmt.Errorf("row %d: Has(%s) = %v, %v after Delete", i, key, ok, err))
					return
				}
			}
			if err := s.SetOffset(int64(i)); err != nil {
				fail(err)
				return
			}
			if i == rows/2 {
				if err := s.MarkRecovered(); err != nil {
					fail(err)
					return
				}
			}
		}
	}()
	for g := range 3 {
		wg.Add(1)
		go func() { // readers
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-done:
					return
				default:
				}
				if time.Now().After(deadline) {
					fail(errors.New("reader: deadline passed"))
					return
				}
				switch (n + g) % 4 {
				case 0:
					if v, err := s.Get(fmt.Sprintf("k%03d", n%200)); err != nil {
						fail(err)
						return
					} else if v != nil {
						if _, err := strconv.Atoi(string(v)); err != nil {
							fail(fmt.Errorf("reader: bad row %q", v))
							return
						}
					}
				case 1:
					if _, err := s.Has(fmt.Sprintf("k%03d", n%200)); err != nil {
						fail(err)
						return
					}
				case 2:
					if _, err := s.GetOffset(-3); err != nil {
						fail(err)
						return
					}
				case 3:
					it, err := s.Iterator()
					if err != nil {
						fail(err)
						return
					}
					for it.Next() {
						if string(it.Key()) == offsetKey {
							fail(errors.New("reader: the iterator returned the offset key"))
						}
					}
					if err := it.Err(); err != nil {
						fail(err)
					}
					it.Release()
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // producer callbacks setting offsets concurrently
		defer wg.Done()
		for n := int64(0); ; n++ {
			select {
			case <-done:
				return
			default:
			}
			if time.Now().After(deadline) {
				fail(errors.New("offsets: deadline passed"))
				return
			}
			if err := s.SetOffset(-1 - n%5); err != nil {
				fail(err)
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	check(t, s.SetOffset(rows-1))
	if got := mustOffset(t, s); got != rows-1 {
		t.Fatalf("offset %d, want %d", got, rows-1)
	}
	// The last write of each key decides its row.
	for k := range 200 {
		last := rows - 200 + k
		got := mustGet(t, s, fmt.Sprintf("k%03d", k))
		if last%7 == 0 {
			if got != nil {
				t.Fatalf("k%03d = %q, want deleted", k, got)
			}
		} else if string(got) != strconv.Itoa(last) {
			t.Fatalf("k%03d = %q, want %d", k, got, last)
		}
	}
}
