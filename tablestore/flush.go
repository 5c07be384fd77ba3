package tablestore

import (
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// flushLocked writes the buffer and the offset, if newer, in one atomic
// write. s.mu must be held exclusively.
//
// A buffer larger than the memtable goes through a leveldb transaction,
// which sorts it into level-0 tables directly: no journal, no memtable, no
// copy of the whole buffer into a batch. A smaller one goes as one batch.
func (s *Store) flushLocked() error {
	if len(s.buf) == 0 && !s.offsetDirty {
		s.written = 0
		return nil
	}
	var w interface {
		Put(key, value []byte, wo *opt.WriteOptions) error
		Delete(key []byte, wo *opt.WriteOptions) error
	}
	var (
		tr *leveldb.Transaction
		b  *leveldb.Batch
	)
	if s.bufBytes > s.memtableBytes {
		var err error
		if tr, err = s.db.OpenTransaction(); err != nil {
			return fmt.Errorf("tablestore: writing %d buffered records: %w", len(s.buf), err)
		}
		w = tr
	} else {
		b = &s.batch
		b.Reset()
		w = batchWriter{b}
	}
	err := func() error {
		for k, p := range s.buf {
			var err error
			if p.deleted {
				err = w.Delete([]byte(k), nil)
			} else {
				err = w.Put([]byte(k), p.value, nil)
			}
			if err != nil {
				return err
			}
		}
		if s.offsetDirty {
			if err := w.Put([]byte(offsetKey), formatOffset(s.offset), nil); err != nil {
				return err
			}
		}
		if tr != nil {
			return tr.Commit()
		}
		return s.db.Write(b, nil)
	}()
	if err != nil {
		if tr != nil {
			tr.Discard() // no-op once committed
		}
		return fmt.Errorf("tablestore: writing %d buffered records: %w", len(s.buf), err)
	}
	if b != nil && s.recovered && s.bufBytes > keepBatchBytes {
		// A recovered store flushes now and then; an idle one should not
		// hold a large batch's memory until the next flush.
		s.batch = leveldb.Batch{}
	}
	clear(s.buf)
	s.bufBytes, s.written = 0, 0
	s.offsetDirty = false
	return nil
}

// keepBatchBytes is the largest flush whose batch a recovered Store keeps
// for the next one.
const keepBatchBytes = 16 << 10

// batchWriter gives a leveldb.Batch the write methods of a Transaction.
type batchWriter struct{ b *leveldb.Batch }

func (w batchWriter) Put(key, value []byte, _ *opt.WriteOptions) error {
	w.b.Put(key, value)
	return nil
}

func (w batchWriter) Delete(key []byte, _ *opt.WriteOptions) error {
	w.b.Delete(key)
	return nil
}
