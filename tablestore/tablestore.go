package tablestore

import (
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/lovoo/goka/storage"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// offsetKey is the key under which goka's leveldb storage keeps the offset.
const offsetKey = "__offset"

// DefaultBufferBytes is the default size of the recovery buffer at which it
// is written to leveldb. It is larger than the memtable of LevelDBOptions, so
// that these writes go as sorted tables directly (a leveldb transaction)
// instead of through the journal and the memtable.
const DefaultBufferBytes = 16 << 20

// DefaultRunBytes is the default of Options.RunBytes: what a recovered
// partition may write before its buffer goes to leveldb, and so about what a
// crash makes goka read again from the table topic. The buffer holds only
// the latest version of each row, so it takes far less memory than this
// when a few rows are written again and again (a busy room), and at most
// this much when every write is a new row. 1 MiB rather than 64 KiB kept
// the joins of 5,000 idle connections from filling and rotating the
// servers' memtables: 18 KiB of RSS per connection instead of 21.
const DefaultRunBytes = 1 << 20

// entryOverhead is what a buffered record is counted for besides its key and
// value: the map entry and the allocations' headers.
const entryOverhead = 64

// ErrClosed is returned by the methods of a Store that has been closed.
var ErrClosed = errors.New("tablestore: closed")

// pending is a buffered write: a value, or a deletion.
type pending struct {
	value   []byte
	deleted bool
}

// Store is a goka storage.Storage on a leveldb database.
//
// All methods are safe for concurrent use by any number of goroutines (goka
// calls SetOffset from producer callbacks while the partition's goroutine
// calls Set, and views read while they update). Writes of one goroutine are
// applied in the order they are made; a read sees every write that returned
// before it started, buffered or not. The buffer is guarded by a mutex.
type Store struct {
	db *leveldb.DB

	maxBytes      int
	runBytes      int
	memtableBytes int

	mu     sync.RWMutex
	closed bool
	// recovered is set by MarkRecovered, after the buffer has been written.
	recovered bool
	// buf holds the writes made since the last flush, by key.
	buf      map[string]pending
	bufBytes int
	// written counts the bytes of every write since the last flush,
	// however many hit the same key.
	written int
	// offset is the last offset set; offsetSet whether one was set since
	// Open, offsetDirty whether it is newer than the stored one.
	offset      int64
	offsetSet   bool
	offsetDirty bool
	// batch is reused for the flushes smaller than the memtable.
	batch leveldb.Batch
}

var _ storage.Storage = (*Store)(nil)

// New returns a Store on db, recovering (buffering its writes) until
// MarkRecovered. The Store owns db: Close closes it. Options.LevelDB must be
// the options db was opened with (nil: LevelDBOptions()).
func New(db *leveldb.DB, o Options) *Store {
	if o.BufferBytes <= 0 {
		o.BufferBytes = DefaultBufferBytes
	}
	if o.RunBytes <= 0 {
		o.RunBytes = DefaultRunBytes
	}
	return &Store{
		db:            db,
		maxBytes:      o.BufferBytes,
		runBytes:      o.RunBytes,
		memtableBytes: o.LevelDB.GetWriteBuffer(),
		buf:           make(map[string]pending),
	}
}

// Open implements storage.Storage; it has nothing to do and returns nil.
func (s *Store) Open() error { return nil }

// Close writes what is buffered, the offset with it, and closes the
// database. Later calls return nil; other methods return errors after it.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.flushLocked()
	if cerr := s.db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("tablestore: closing leveldb: %w", cerr)
	}
	return err
}

// MarkRecovered writes what is buffered and switches the Store to writing
// its buffer every RunBytes. Calling it again does nothing.
func (s *Store) MarkRecovered() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recovered {
		return nil
	}
	if s.closed {
		return ErrClosed
	}
	if err := s.flushLocked(); err != nil {
		return err
	}
	// The recovery's buffer may have grown large; a recovered one stays
	// small.
	s.buf, s.batch = make(map[string]pending), leveldb.Batch{}
	s.recovered = true
	return nil
}

// Has reports whether key has a value, buffered or stored. It returns
// ErrClosed after Close.
func (s *Store) Has(key string) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false, ErrClosed
	}
	if p, ok := s.buf[key]; ok {
		return !p.deleted, nil
	}
	ok, err := s.db.Has([]byte(key), nil)
	if err != nil {
		return false, fmt.Errorf("tablestore: has %q: %w", key, err)
	}
	return ok, nil
}

// Get returns the value of key, buffered or stored, or nil if it has none.
// The caller owns the returned slice. It returns ErrClosed after Close.
func (s *Store) Get(key string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	if p, ok := s.buf[key]; ok {
		if p.deleted {
			return nil, nil
		}
		return append([]byte{}, p.value...), nil
	}
	return s.dbGet(key)
}

func (s *Store) dbGet(key string) ([]byte, error) {
	v, err := s.db.Get([]byte(key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tablestore: get %q: %w", key, err)
	}
	return v, nil
}

// Set stores value under key, in the buffer until the next flush. The Store
// copies value. It returns ErrClosed after Close, or the error of a flush it
// caused (a buffer at twice its bound).
func (s *Store) Set(key string, value []byte) error {
	return s.buffer(key, pending{value: append([]byte{}, value...)})
}

// Delete removes key, buffered as Set is. It returns ErrClosed after
// Close, or the error of a flush it caused.
func (s *Store) Delete(key string) error {
	return s.buffer(key, pending{deleted: true})
}

// buffer records a write. SetOffset writes the buffer when it is due, so
// that the stored offset is that of the last stored record; buffer writes
// it at twice that, which bounds the buffer of a caller that does not set
// offsets.
func (s *Store) buffer(key string, p pending) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if old, ok := s.buf[key]; ok {
		s.bufBytes -= len(key) + len(old.value) + entryOverhead
	}
	s.buf[key] = p
	n := len(key) + len(p.value) + entryOverhead
	s.bufBytes += n
	s.written += n
	if s.dueLocked(2) {
		return s.flushLocked()
	}
	return nil
}

// dueLocked reports whether the buffer has reached factor times the size
// at which it is written: BufferBytes of distinct rows while recovering,
// RunBytes of writes once recovered. s.mu held.
func (s *Store) dueLocked(factor int) bool {
	if s.recovered {
		return s.written >= factor*s.runBytes
	}
	return s.bufBytes >= factor*s.maxBytes
}

// GetOffset returns the offset last set, buffered or stored, or def if none
// was ever set. It returns ErrClosed after Close.
func (s *Store) GetOffset(def int64) (int64, error) {
	s.mu.RLock()
	closed, set, off := s.closed, s.offsetSet, s.offset
	s.mu.RUnlock()
	if closed {
		return 0, ErrClosed
	}
	if set {
		return off, nil
	}
	v, err := s.dbGet(offsetKey)
	if err != nil {
		return 0, err
	}
	if v == nil {
		return def, nil
	}
	off, err = strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("tablestore: decoding offset %q: %w", v, err)
	}
	return off, nil
}

// SetOffset sets the partition's offset. It is stored with the buffered
// rows, whose writes must have been made before. It writes the buffer when
// it is due, holding the Store's lock meanwhile; it returns ErrClosed after
// Close, or the error of that write.
func (s *Store) SetOffset(offset int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.offset, s.offsetSet, s.offsetDirty = offset, true, true
	if s.dueLocked(1) {
		return s.flushLocked()
	}
	return nil
}

func formatOffset(offset int64) []byte {
	return strconv.AppendInt(nil, offset, 10)
}

// Iterator returns an iterator over a snapshot of the rows, in key order.
// It writes the buffer first, so that the snapshot holds it; it returns
// ErrClosed after Close, or the error of that write. The iterator is for
// one goroutine; release it when done.
func (s *Store) Iterator() (storage.Iterator, error) {
	return s.iterator(nil, &opt.ReadOptions{DontFillCache: true})
}

// IteratorWithRange returns an iterator over a snapshot of the rows in
// [start, limit); with an empty limit, over the rows whose key starts with
// start, as goka's leveldb storage does. It behaves as Iterator otherwise.
func (s *Store) IteratorWithRange(start, limit []byte) (storage.Iterator, error) {
	if len(limit) > 0 {
		return s.iterator(&util.Range{Start: start, Limit: limit}, nil)
	}
	return s.iterator(util.BytesPrefix(start), nil)
}

// iterator writes the buffer, so that the snapshot holds it, and opens a
// leveldb iterator.
func (s *Store) iterator(r *util.Range, ro *opt.ReadOptions) (storage.Iterator, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if err := s.flushLocked(); err != nil {
		return nil, err
	}
	return &iterator{it: s.db.NewIterator(r, ro)}, nil
}
