package views

import (
	"fmt"
	"strings"

	"github.com/lovoo/goka"
)

// Get returns the row of key, or nil and no error if there is none.
func (t *Table[T]) Get(key string) (*T, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if !t.ready() {
		return nil, fmt.Errorf("%w: %s", ErrNotReady, t.state())
	}
	v, err := t.view.Get(key)
	if err != nil || v == nil {
		return nil, err
	}
	row, ok := v.(*T)
	if !ok {
		return nil, fmt.Errorf("views: %s holds %T", t.name, v)
	}
	return row, nil
}

// List returns the rows whose key starts with prefix, sorted by key, for
// which keep returns true (nil keeps all), at most limit of them (0: all).
// It fails with ErrNotReady until the view is ready.
//
// Its cost is that of the page, not of the table: each partition's store is
// iterated in key order from prefix on, goka merges the partitions in key
// order, and List stops at the first key past the prefix or at the limit'th
// kept row. It decodes only the rows it visits: the rows it returns and,
// with keep, those keep rejects on the way, so a keep that rejects most rows
// visits as many as it rejects. Limit 0 visits every row under prefix.
func (t *Table[T]) List(prefix string, limit int, keep func(*T) bool) ([]*T, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if !t.ready() {
		return nil, fmt.Errorf("%w: %s", ErrNotReady, t.state())
	}
	var it goka.Iterator
	var err error
	if prefix == "" {
		// Every key: the unranged iterator, which does not fill
		// leveldb's block cache when a limit 0 reads the whole table.
		it, err = t.view.Iterator()
	} else {
		// An empty limit is the range of the keys that start with prefix.
		it, err = t.view.IteratorWithRange(prefix, "")
	}
	if err != nil {
		return nil, fmt.Errorf("views: %s: %w", t.name, err)
	}
	defer it.Release()
	out := []*T{}
	for (limit <= 0 || len(out) < limit) && it.Next() {
		k := it.Key()
		if !strings.HasPrefix(k, prefix) {
			// Keys come in order: none after this one has the prefix
			// either (a store whose range is wider stops here too).
			break
		}
		v, err := it.Value()
		if err != nil {
			return nil, fmt.Errorf("views: %s: %s: %w", t.name, k, err)
		}
		row, ok := v.(*T)
		if !ok || (keep != nil && !keep(row)) {
			continue
		}
		out = append(out, row)
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("views: %s: %w", t.name, err)
	}
	return out, nil
}
