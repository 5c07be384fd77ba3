package views

import (
	"fmt"
	"sort"
	"strings"
)

// ListByScan is List as it was before it iterated ranges: every row of every
// partition is visited and decoded, the kept ones sorted, then cut at limit.
// The tests hold List to its answers and the benchmark compares the two.
func (t *Table[T]) ListByScan(prefix string, limit int, keep func(*T) bool) ([]*T, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if !t.ready() {
		return nil, fmt.Errorf("%w: %s", ErrNotReady, t.state())
	}
	it, err := t.view.Iterator()
	if err != nil {
		return nil, fmt.Errorf("views: %s: %w", t.name, err)
	}
	defer it.Release()
	type kv struct {
		key string
		row *T
	}
	var rows []kv
	for it.Next() {
		k := it.Key()
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		v, err := it.Value()
		if err != nil {
			return nil, fmt.Errorf("views: %s: %s: %w", t.name, k, err)
		}
		row, ok := v.(*T)
		if !ok || (keep != nil && !keep(row)) {
			continue
		}
		rows = append(rows, kv{k, row})
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("views: %s: %w", t.name, err)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].key < rows[j].key })
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	out := make([]*T, len(rows))
	for i := range rows {
		out[i] = rows[i].row
	}
	return out, nil
}
