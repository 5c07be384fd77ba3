package tablestore

import (
	"fmt"
	"path/filepath"

	"github.com/lovoo/goka/storage"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// Options configure a Store. The zero value uses the defaults.
type Options struct {
	// BufferBytes is the size of the recovery buffer (its distinct keys,
	// their latest values and some overhead per record) at which it is
	// written to leveldb; 0 means DefaultBufferBytes. It is what a
	// recovering partition holds in memory (up to twice this if its
	// writes come without offsets), besides leveldb's memtable.
	BufferBytes int
	// RunBytes is what a recovered partition writes (every version of
	// every row, with some overhead per record) before its buffer is
	// written to leveldb; 0 means DefaultRunBytes. A crash makes goka read
	// about this much again from the table topic.
	RunBytes int
	// LevelDB are the options the builders open the databases with; nil
	// means LevelDBOptions().
	LevelDB *opt.Options
}

// LevelDBOptions returns the leveldb options the builders use by default.
// They are goleveldb's defaults (snappy compression, no fsync per write)
// except for the memtable and what a recovery's bulk writes of keys in
// random order need. The memtable is 256 KiB instead of 4 MiB: a server
// keeps three tables of eight partitions each, and their memtables filled by
// the joins of 5,000 idle connections were a third of the server's memory
// (48 KiB per connection with 4 MiB, 27 KiB with 256 KiB); a recovery's
// large batches bypass the memtable anyway. Level-0 compactions start at 8
// tables instead of 4 and write 8 MiB tables instead of 2 MiB, which roughly
// halves the rewriting of level 1 during a recovery, and tables carry bloom
// filters (10 bits per key), so that a read does not open each of the more
// level-0 tables. All of this is compatible with databases written with
// goleveldb's defaults.
func LevelDBOptions() *opt.Options {
	return &opt.Options{
		WriteBuffer:            256 << 10,
		CompactionL0Trigger:    8,
		WriteL0SlowdownTrigger: 16,
		WriteL0PauseTrigger:    24,
		CompactionTableSize:    8 << 20,
		Filter:                 filter.NewBloomFilter(10),
	}
}

// Builder returns a goka storage.Builder that keeps the table of each topic
// and partition in a leveldb database under dir, as goka's
// storage.DefaultBuilder does, with the default Options.
func Builder(dir string) storage.Builder {
	return BuilderWithOptions(dir, Options{})
}

// BuilderWithOptions is Builder with the given options.
func BuilderWithOptions(dir string, o Options) storage.Builder {
	return func(topic string, partition int32) (storage.Storage, error) {
		lo := o.LevelDB
		if lo == nil {
			lo = LevelDBOptions()
		}
		path := filepath.Join(dir, fmt.Sprintf("%s.%d", topic, partition))
		db, err := leveldb.OpenFile(path, lo)
		if err != nil {
			return nil, fmt.Errorf("tablestore: opening leveldb %s: %w", path, err)
		}
		return New(db, o), nil
	}
}
