package codec

import (
	"bytes"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// The records encoded once per event (presence records, user rows, server
// buckets) are written by hand rather than by json.Marshal, whose
// reflection over their maps and sorting of keys was most of their encode.
//
// Their contract: for every value, they return exactly what encode
// (json.Marshal with encodeOptions) returns, byte for byte, and an error in
// exactly the cases where it does. The rules of that output, read in the
// library's source and held to by the differential tests and fuzz targets
// of quote_test.go, presenceenc_test.go, serverenc_test.go and
// userenc_test.go:
//   - members in struct field order, no white space; omitempty leaves out
//     a member whose value is "", {} or null (a nil map);
//   - nil maps and slices are null, empty ones {} and [];
//   - Deterministic sorts map keys with slices.Sort of the Go strings, that
//     is by their raw bytes, neither by their escaped form nor by UTF-16
//     code units as RFC 8785 would (so "\uffff" comes before "\U00010000");
//   - strings are quoted by jsontext.AppendQuote, which is what Marshal
//     calls with its flags, none of which encodeOptions sets: only '"', '\'
//     and control characters are escaped; <, >, & and U+2028/9 are not;
//   - a string with invalid UTF-8 makes Marshal fail, returning the output
//     written so far along with an error naming the JSON pointer of the
//     string. The encoders then call encode themselves, so that the bytes
//     and the error are Marshal's own; such a record is rare.

// appender accumulates one JSON value.
type appender struct {
	b    []byte
	keys []string // a stack of sorted map keys, reused from call to call
	bad  bool     // a string held invalid UTF-8, on which Marshal fails
}

// appenders recycles the encoders' buffers, so that the only
// allocation of an encode is its result.
var appenders = sync.Pool{New: func() any { return new(appender) }}

// getAppender returns an empty appender of the pool.
func getAppender() *appender {
	a := appenders.Get().(*appender)
	a.b, a.keys, a.bad = a.b[:0], a.keys[:0], false
	return a
}

// result returns a copy of what a holds, or if a string was not valid
// UTF-8 what encode returns for v, and gives a back to the pool.
func (a *appender) result(v any) ([]byte, error) {
	out, bad := bytes.Clone(a.b), a.bad
	if cap(a.b) > 1<<16 || cap(a.keys) > 1<<10 {
		a.b, a.keys = nil, nil // do not pin the memory of a rare huge row
	}
	appenders.Put(a)
	if bad {
		return encode(v)
	}
	return out, nil
}

func (a *appender) raw(s string) { a.b = append(a.b, s...) }

func (a *appender) int(n int64) { a.b = strconv.AppendInt(a.b, n, 10) }

// str quotes s as Marshal does. Nearly every string of a row (names, ids,
// servers, times) is one that jsontext.AppendQuote copies unchanged between
// quotes: such a string is copied here after a table scan; any other goes
// through the library's own code, so that its escaping, and the error for
// invalid UTF-8, are Marshal's.
func (a *appender) str(s string) {
	if plain(s) {
		a.b = append(a.b, '"')
		a.b = append(a.b, s...)
		a.b = append(a.b, '"')
		return
	}
	var err error
	if a.b, err = jsontext.AppendQuote(a.b, s); err != nil {
		a.bad = true
	}
}

// quoteClass sorts the bytes for plain: 1 for those AppendQuote escapes
// under Marshal's flags (the controls, '"' and '\'; not <, > and &, which
// only EscapeForHTML escapes, nor DEL), 2 for those of multi-byte UTF-8
// sequences, 0 for the rest.
var quoteClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c < 0x20 || c == '"' || c == '\\':
			t[c] = 1
		case c >= utf8.RuneSelf:
			t[c] = 2
		}
	}
	return t
}()

// plain reports whether AppendQuote, with Marshal's flags, writes s
// unchanged between quotes: s has no byte it escapes and is valid UTF-8.
// AppendQuote escapes no multi-byte character under those flags (U+2028
// and U+2029 only under EscapeForJS) and replaces exactly the invalid
// sequences, those that utf8.ValidString refuses.
func plain(s string) bool {
	var class uint8
	for i := 0; i < len(s); i++ { // no early exit: rows' strings are short
		class |= quoteClass[s[i]]
	}
	return class == 0 || class == 2 && utf8.ValidString(s)
}

// ints appends a []int64 as FormatNilSliceAsNull does.
func (a *appender) ints(v []int64) {
	if v == nil {
		a.raw("null")
		return
	}
	a.raw("[")
	for i, n := range v {
		if i > 0 {
			a.raw(",")
		}
		a.int(n)
	}
	a.raw("]")
}

// object appends m as FormatNilMapAsNull and Deterministic do, with val
// appending each value. The sorted keys live on the stack a.keys, above
// those of the objects that m is in.
//
// sorted, if not nil, holds m's keys sorted at an earlier encode of the
// same row: when m still has exactly those keys (as many, and each one
// found), they are used as they are, which spares iterating over m and
// sorting; otherwise object sets *sorted to m's keys sorted.
func object[V any](a *appender, m map[string]V, val func(*appender, V), sorted *[]string) {
	switch len(m) {
	case 0:
		if m == nil {
			a.raw("null")
		} else {
			a.raw("{}")
		}
		return
	case 1: // a user's one session, the common case: nothing to sort
		for k, v := range m {
			a.raw("{")
			a.str(k)
			a.raw(":")
			val(a, v)
			a.raw("}")
		}
		return
	}
	if sorted != nil && len(*sorted) == len(m) && sortedObject(a, m, val, *sorted) {
		return
	}
	n := len(a.keys)
	for k := range m {
		a.keys = append(a.keys, k)
	}
	ks := a.keys[n:]
	slices.Sort(ks)
	if sorted != nil {
		*sorted = append((*sorted)[:0], ks...)
		clear((*sorted)[len(ks):cap(*sorted)]) // do not pin keys gone
	}
	for i, k := range ks {
		a.key(i, k)
		val(a, m[k])
	}
	a.raw("}")
	// Pop the keys, clearing them so that the pool does not pin them. An
	// inner object may have moved a.keys: ks may be a stale copy.
	clear(a.keys[n:])
	a.keys = a.keys[:n]
}

// sortedObject appends m in the order of keys, sorted and as many as m's,
// and reports true if every one of them is in m. Otherwise it leaves a as
// it found it and reports false.
func sortedObject[V any](a *appender, m map[string]V, val func(*appender, V), keys []string) bool {
	start, bad := len(a.b), a.bad
	for i, k := range keys {
		v, ok := m[k]
		if !ok {
			a.b, a.bad = a.b[:start], bad
			return false
		}
		a.key(i, k)
		val(a, v)
	}
	a.raw("}")
	return true
}

// key appends what comes before the value of the i-th member of an
// object: the "{" that opens the object or the "," after the member
// before, the quoted key k and the colon.
func (a *appender) key(i int, k string) {
	if i == 0 {
		a.raw("{")
	} else {
		a.raw(",")
	}
	a.str(k)
	a.raw(":")
}

// strMap appends a map[string]string such as a user's sessions.
func (a *appender) strMap(m map[string]string) { object(a, m, (*appender).str, nil) }
