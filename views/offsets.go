package views

import (
	"fmt"
	"slices"
	"sync"

	"github.com/lovoo/goka/storage"
)

// storeOffsets keeps the storage of each partition the view opened, to read
// how far each has applied the table topic.
type storeOffsets struct {
	mu     sync.Mutex
	stores map[int32]storage.Storage
}

// builder wraps b so that every storage it builds is remembered; goka builds
// a partition's storage again when the view reconnects, and the newest one
// is the one read.
func (o *storeOffsets) builder(b storage.Builder) storage.Builder {
	return func(topic string, partition int32) (storage.Storage, error) {
		st, err := b(topic, partition)
		if err != nil {
			return nil, err
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.stores == nil {
			o.stores = map[int32]storage.Storage{}
		}
		o.stores[partition] = st
		return st, nil
	}
}

// Offsets returns, for each of the first n partitions of the table topic,
// the offset of the last record the view applied, -1 where it applied none.
// A view is current with the table as of a moment when, for every
// partition, the offset is at least the partition's end offset of that
// moment minus one. It fails while a partition has no storage yet (the view
// has not started) or its storage is closed. Safe for concurrent use.
func (t *Table[T]) Offsets(n int) ([]int64, error) {
	t.offsets.mu.Lock()
	defer t.offsets.mu.Unlock()
	out := make([]int64, n)
	for p := range int32(n) {
		st := t.offsets.stores[p]
		if st == nil {
			return nil, fmt.Errorf("views: %s/%d has not started", t.name, p)
		}
		off, err := st.GetOffset(-1)
		if err != nil {
			return nil, fmt.Errorf("views: %s/%d: %w", t.name, p, err)
		}
		out[p] = off
	}
	return out, nil
}

// Version returns a token of the rows the view holds: it is the same for two
// reads between which no partition applied a record, and differs after one
// did. It is derived from each partition's applied offset, so views of the
// same table that applied the same records (another server's, or this one's
// after a restart) return the same token. goka applies a record's row
// before its offset, so the rows read after Version are at least as new as
// the token: a caller that reads Version before the rows never tags older
// rows with a newer token. It fails as Offsets does, for any partition the
// view has opened; safe for concurrent use.
func (t *Table[T]) Version() (string, error) {
	t.offsets.mu.Lock()
	defer t.offsets.mu.Unlock()
	parts := make([]int32, 0, len(t.offsets.stores))
	for p := range t.offsets.stores {
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("views: %s has not started", t.name)
	}
	slices.Sort(parts)
	b := []byte(t.name)
	for _, p := range parts {
		off, err := t.offsets.stores[p].GetOffset(-1)
		if err != nil {
			return "", fmt.Errorf("views: %s/%d: %w", t.name, p, err)
		}
		b = fmt.Appendf(b, " %d:%d", p, off)
	}
	return string(b), nil
}
