package codec

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/go-json-experiment/json"
)

// sameAsMarshal fails t unless got and gotErr are what json.Marshal with
// encodeOptions returns for v: the same bytes (Marshal returns the output
// written so far along with its error) and the same error text.
func sameAsMarshal(t *testing.T, v any, got []byte, gotErr error) {
	t.Helper()
	want, wantErr := json.Marshal(v, encodeOptions)
	if !bytes.Equal(got, want) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("hand encoder differs from json.Marshal for %#v:\n got  %q, %v\n want %q, %v", v, got, gotErr, want, wantErr)
	}
}

// awkward are strings whose quoting or order json v2 could get wrong: keys
// that sort differently raw, escaped or in UTF-16 ("!" < "\"" < "#" raw
// but not escaped; U+FFFF < U+10000 in UTF-8 but not in UTF-16), HTML and
// JavaScript characters (not escaped by v2), controls, DEL and U+FFFD.
var awkward = []string{"", "!", "\"", "#", "\\", "/", "<b>&amp;</b>", "\u2028\u2029", "\x00\x01\x1f\x7f",
	"\b\f\n\r\t", "\uffff", "\U00010000", "\ufffd", "é", "e\u0301", "a", "A", "aa", "a\x00"}

// TestObjectClearsKeys checks that no key stays on the pooled stack, where
// it would pin its map's strings, also when inner objects grew the stack.
func TestObjectClearsKeys(t *testing.T) {
	m := map[string]map[string]string{}
	for _, u := range []string{"a", "b", "c"} {
		m[u] = map[string]string{u + "1": "h", u + "2": "h", u + "3": "h"}
	}
	a := &appender{}
	object(a, m, (*appender).strMap, nil)
	if len(a.keys) != 0 || string(a.b) != `{"a":{"a1":"h","a2":"h","a3":"h"},"b":{"b1":"h","b2":"h","b3":"h"},"c":{"c1":"h","c2":"h","c3":"h"}}` {
		t.Fatalf("object wrote %s and left %q", a.b, a.keys)
	}
	for i, k := range a.keys[:cap(a.keys)] {
		if k != "" {
			t.Fatalf("a.keys[%d] = %q after the encode", i, k)
		}
	}
}
