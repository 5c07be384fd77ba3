package tablestore

import (
	ldbiter "github.com/syndtr/goleveldb/leveldb/iterator"
)

// iterator is a storage.Iterator over a leveldb iterator that skips the
// offset key, like goka's. It is not safe for concurrent use; the Store
// stays safe to use while it is open.
type iterator struct {
	it ldbiter.Iterator
}

func (i *iterator) Next() bool {
	for i.it.Next() {
		if string(i.it.Key()) != offsetKey {
			return true
		}
	}
	return false
}

func (i *iterator) Err() error { return i.it.Error() }

func (i *iterator) Key() []byte { return i.it.Key() }

func (i *iterator) Value() ([]byte, error) { return i.it.Value(), nil }

func (i *iterator) Release() { i.it.Release() }

func (i *iterator) Seek(key []byte) bool { return i.it.Seek(key) }
