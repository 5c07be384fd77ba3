package tablestore

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/lovoo/goka/storage"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

const (
	benchRows     = 200_000
	benchRowBytes = 750
)

// benchRow returns a JSON-like row of about benchRowBytes, varying with r as
// the table topics' rows do (ids, cursors, timestamps), so that leveldb's
// compression sees realistic input.
func benchRow(r *rand.Rand, key string) []byte {
	b := make([]byte, 0, benchRowBytes+64)
	b = append(b, `{"id":"`...)
	b = append(b, key...)
	b = append(b, `","members":["user-`...)
	b = strconv.AppendUint(b, r.Uint64N(1e6), 10)
	b = append(b, `","user-`...)
	b = strconv.AppendUint(b, r.Uint64N(1e6), 10)
	b = append(b, `"],"recent":[`...)
	for len(b) < benchRowBytes-2 {
		b = strconv.AppendUint(b, r.Uint64N(1e9), 10)
		b = append(b, ',')
	}
	b[len(b)-1] = ']'
	return append(b, '}')
}

// benchData returns benchRows keys and values over the given number of
// distinct keys, each written benchRows/keys times, in random order.
func benchData(keys int) ([]string, [][]byte) {
	r := rand.New(rand.NewPCG(1, 2))
	ks := make([]string, benchRows)
	vs := make([][]byte, benchRows)
	for i := range ks {
		// The log of a partition is in the order of the events, which
		// is not the order of the keys.
		ks[i] = fmt.Sprintf("room-%08d", i%keys)
	}
	r.Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
	for i := range ks {
		vs[i] = benchRow(r, ks[i])
	}
	return ks, vs
}

// BenchmarkRecovery stores benchRows rows the way goka recovers a table
// partition (Set and SetOffset per record, then MarkRecovered and Close) into
// a fresh directory, through goka's storage.DefaultBuilder and through this
// package's builders, and reports rows/s. The rows come in random key order,
// every key once (distinct) or each of a tenth of the keys ten times
// (10-versions, as a table topic holds a row's versions). cpu-ms/op is the
// process's CPU time for it, leveldb's background compactions included (up
// to Close, which abandons them); reopen-ms/op is the time to open the
// storage again and read its offset, which includes replaying leveldb's
// journal: work a large memtable defers to the next start.
func BenchmarkRecovery(b *testing.B) {
	withOptions := func(o Options) func(string) storage.Builder {
		return func(dir string) storage.Builder { return BuilderWithOptions(dir, o) }
	}
	builders := []struct {
		name  string
		build func(dir string) storage.Builder
	}{
		{"goka-default", storage.DefaultBuilder},
		{"tablestore", Builder},
		// The alternatives measured for the defaults: goleveldb's default
		// options; a buffer smaller than the memtable (batches go through
		// the journal and memtable); a larger memtable instead, which a
		// restart pays for by replaying its journal.
		{"tablestore-leveldb-defaults", withOptions(Options{LevelDB: &opt.Options{}})},
		{"tablestore-buffer-2MiB", withOptions(Options{BufferBytes: 2 << 20})},
		{"tablestore-memtable-32MiB", withOptions(Options{BufferBytes: 8 << 20, LevelDB: func() *opt.Options {
			o := LevelDBOptions()
			o.WriteBuffer = 32 << 20
			return o
		}()})},
	}
	for _, shape := range []struct {
		name string
		keys int
	}{
		{"distinct", benchRows},
		{"10-versions", benchRows / 10},
	} {
		keys, values := benchData(shape.keys)
		for _, bl := range builders {
			b.Run(shape.name+"/"+bl.name, func(b *testing.B) {
				var bytes int64
				for _, v := range values {
					bytes += int64(len(keys[0]) + len(v))
				}
				b.SetBytes(bytes)
				var elapsed, reopened, cpu time.Duration
				for b.Loop() {
					b.StopTimer()
					dir := b.TempDir()
					b.StartTimer()
					start, cpu0 := time.Now(), cpuTime()
					build := bl.build(dir)
					recoverRows(b, build, keys, values)
					elapsed += time.Since(start)
					cpu += cpuTime() - cpu0
					b.StopTimer()
					start = time.Now()
					reopen(b, build, int64(len(keys)-1))
					reopened += time.Since(start)
					if err := os.RemoveAll(dir); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				b.ReportMetric(float64(b.N*len(keys))/elapsed.Seconds(), "rows/s")
				b.ReportMetric(float64(reopened.Milliseconds())/float64(b.N), "reopen-ms/op")
				b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

func recoverRows(b *testing.B, build storage.Builder, keys []string, values [][]byte) {
	st, err := build("table", 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Open(); err != nil {
		b.Fatal(err)
	}
	if _, err := st.GetOffset(-3); err != nil {
		b.Fatal(err)
	}
	for i, k := range keys {
		if err := st.Set(k, values[i]); err != nil {
			b.Fatal(err)
		}
		if err := st.SetOffset(int64(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.MarkRecovered(); err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
}

// reopen opens the storage again, as a restarted server does, and checks the
// stored offset.
func reopen(b *testing.B, build storage.Builder, want int64) {
	st, err := build("table", 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Open(); err != nil {
		b.Fatal(err)
	}
	got, err := st.GetOffset(-3)
	if err != nil {
		b.Fatal(err)
	}
	if got != want {
		b.Fatalf("offset after reopening: %d, want %d", got, want)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
}

// cpuTime returns the CPU time the process has used, leveldb's background
// compactions included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
