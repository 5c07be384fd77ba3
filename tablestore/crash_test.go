package tablestore

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lovoo/goka/storage"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// TestOffsetNeverAheadOfData writes a log of records, recovering or
// recovered, crashes at random points (losing the buffer), reopens and
// checks that every record up to the stored offset is in the store: its
// row, or the row or deletion of a later record of the same key.
func TestOffsetNeverAheadOfData(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 20 {
		dir := t.TempDir()
		// Small buffers, so that rounds write several batches, some of
		// them from Set (at twice the size) between a record and its
		// offset, and small memtables, so that some of them go as
		// transactions.
		lo := LevelDBOptions()
		lo.WriteBuffer = 1<<10 + r.IntN(8<<10)
		o := Options{BufferBytes: 200 + r.IntN(4000), RunBytes: 100 + r.IntN(4000), LevelDB: lo}
		// Odd rounds run recovered, where the buffer is written every
		// RunBytes of writes.
		recovered := round%2 == 1
		open := func(t *testing.T, dir string, o Options) *Store {
			s := open(t, dir, o)
			if recovered {
				check(t, s.MarkRecovered())
			}
			return s
		}
		s := open(t, dir, o)
		var log []record
		write := func(n int) {
			for range n {
				rec := record{key: fmt.Sprintf("k%03d", r.IntN(100)), deleted: r.IntN(10) == 0}
				off := int64(len(log))
				log = append(log, rec)
				if rec.deleted {
					check(t, s.Delete(rec.key))
				} else {
					check(t, s.Set(rec.key, []byte(strconv.FormatInt(off, 10))))
				}
				check(t, s.SetOffset(off))
			}
		}
		for range 3 {
			write(r.IntN(300))
			crash(t, s)

			s = open(t, dir, o)
			off := mustOffset(t, s)
			if off == -3 {
				off = -1 // nothing stored: start from the beginning
			}
			if off >= int64(len(log)) {
				t.Fatalf("round %d: stored offset %d, but only %d records were written", round, off, len(log))
			}
			verifyUpTo(t, s, log, off)
			// Resume from the record after the stored offset, as goka
			// does: the records after it are read again.
			log = log[:off+1]
		}
		// A Close without MarkRecovered keeps everything.
		write(50)
		check(t, s.Close())
		s = open(t, dir, o)
		if off, want := mustOffset(t, s), int64(len(log)-1); off != want {
			t.Fatalf("round %d: offset after Close %d, want %d", round, off, want)
		}
		verifyUpTo(t, s, log, int64(len(log)-1))
		check(t, s.Close())
	}
}

// verifyUpTo checks that the store holds what records 0..off of log wrote,
// or what later records of the same keys wrote.
func verifyUpTo(t *testing.T, s *Store, log []record, off int64) {
	t.Helper()
	last := map[string]int64{}
	for i := int64(0); i <= off; i++ {
		last[log[i].key] = i
	}
	for key, i := range last {
		v := mustGet(t, s, key)
		if v == nil {
			ok := false
			for j := i; j < int64(len(log)); j++ {
				ok = ok || log[j].key == key && log[j].deleted
			}
			if !ok {
				t.Fatalf("offset %d covers record %d of %s, but the store has no row", off, i, key)
			}
			continue
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		check(t, err)
		if n < i || log[n].key != key || log[n].deleted {
			t.Fatalf("offset %d covers record %d of %s, but the store has the row of record %d", off, i, key, n)
		}
	}
}

func TestCrashLosesOnlyBufferedRecords(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	check(t, s.Set("a", []byte("1")))
	check(t, s.SetOffset(10))
	crash(t, s)
	s = open(t, dir, Options{})
	if got := mustOffset(t, s); got != -3 {
		t.Fatalf("offset after a crash before any write: %d, want none (-3)", got)
	}
	if got := mustGet(t, s, "a"); got != nil {
		t.Fatalf("a is stored (%q) without its offset", got)
	}
	check(t, s.Close())
}

// TestGokaCompatible opens what goka's leveldb storage wrote with a Store
// and the other way round, with the rows in the journal and in tables.
func TestGokaCompatible(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, testTopic+".0")
	gokaStorage := func() (storage.Storage, *leveldb.DB) {
		db, err := leveldb.OpenFile(path, nil) // storage.DefaultBuilder's options
		check(t, err)
		g, err := storage.New(db)
		check(t, err)
		check(t, g.Open())
		return g, db
	}
	g, db := gokaStorage()
	for i := range 1000 {
		check(t, g.Set(fmt.Sprintf("t%04d", i), bytes.Repeat([]byte{'t'}, 100)))
	}
	check(t, db.CompactRange(util.Range{})) // into tables without filters
	check(t, g.Set("a", []byte("1")))
	check(t, g.Set("b", []byte("2")))
	check(t, g.SetOffset(41))
	check(t, g.MarkRecovered())
	check(t, g.Close())

	s := open(t, dir, Options{})
	if got := mustOffset(t, s); got != 41 {
		t.Fatalf("offset written by goka's storage read as %d, want 41", got)
	}
	if got := mustGet(t, s, "a"); string(got) != "1" {
		t.Fatalf("a = %q, want 1", got)
	}
	if got := mustGet(t, s, "t0500"); len(got) != 100 {
		t.Fatalf("t0500 = %q, want 100 bytes", got)
	}
	check(t, s.Delete("a"))
	check(t, s.Set("c", []byte("3")))
	for i := range 1000 {
		check(t, s.Delete(fmt.Sprintf("t%04d", i)))
	}
	check(t, s.SetOffset(43))
	check(t, s.MarkRecovered())
	check(t, s.db.CompactRange(util.Range{})) // into tables with filters
	check(t, s.Set("d", []byte("4")))
	check(t, s.Close())

	g, _ = gokaStorage()
	defer g.Close()
	if got := mustOffset(t, g); got != 43 {
		t.Fatalf("goka's storage reads the offset as %d, want 43", got)
	}
	if got := mustGet(t, g, "c"); string(got) != "3" {
		t.Fatalf("goka's storage reads c as %q, want 3", got)
	}
	it, err := g.Iterator()
	if got, want := fmt.Sprint(keys(t, it, err)), "[b=2 c=3 d=4]"; got != want {
		t.Fatalf("goka's storage holds %s, want %s", got, want)
	}
}
