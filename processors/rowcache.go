package processors

import (
	"sync"

	"github.com/lovoo/goka"
)

// rowCache is the goka codec of a group table that remembers the rows it
// encoded, so that reading a row back does not decode it again. goka decodes
// the stored bytes on every ctx.Value() and encodes on every ctx.SetValue(),
// and the rooms group reads and writes the same row for every event of a
// room: without the cache the decode was two thirds of the callback's time.
//
// A hit is recognised by the bytes themselves: a row's bytes name the row
// (rows carry their key) and, encoded deterministically, its whole value, so
// the value handed out equals what decoding would give. Decode takes the
// value out of the cache: the caller owns it and may change it (the folds
// do), and nobody else will see it. A caller of Encode must not change the
// value afterwards (the callbacks hand it to SetValue last).
//
// The cache holds at most maxBytes of encoded rows; past that it forgets an
// arbitrary entry, and a miss simply decodes. It is safe for concurrent use:
// goka runs a goroutine per partition.
type rowCache struct {
	inner    goka.Codec
	maxBytes int

	mu    sync.Mutex
	rows  map[string]any
	bytes int
}

// newRowCache returns a caching codec in front of inner.
func newRowCache(inner goka.Codec, maxBytes int) *rowCache {
	return &rowCache{inner: inner, maxBytes: maxBytes, rows: map[string]any{}}
}

// Encode implements goka.Codec.
func (c *rowCache) Encode(v any) ([]byte, error) {
	b, err := c.inner.Encode(v)
	if err != nil || len(b) > c.maxBytes/16 {
		return b, err // rows this large are rare; they would crowd out the rest
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.rows {
		if c.bytes+len(b) <= c.maxBytes {
			break
		}
		c.bytes -= len(k)
		delete(c.rows, k)
	}
	if _, dup := c.rows[string(b)]; !dup {
		c.bytes += len(b)
	}
	c.rows[string(b)] = v
	return b, nil
}

// Decode implements goka.Codec.
func (c *rowCache) Decode(b []byte) (any, error) {
	c.mu.Lock()
	v, ok := c.rows[string(b)]
	if ok {
		delete(c.rows, string(b))
		c.bytes -= len(b)
	}
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	return c.inner.Decode(b)
}
