package codec

import (
	"bytes"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// sameQuote fails t unless appender.str writes s as Marshal writes the
// string s with encodeOptions, and marks the appender bad exactly when
// Marshal fails. Marshal then returns nothing for a lone string, so what
// str wrote is held to jsontext.AppendQuote's output instead, which the
// encoders never use (they call encode for a bad row).
func sameQuote(t *testing.T, s string) {
	t.Helper()
	a := &appender{b: []byte("x")}
	a.str(s)
	want, err := json.Marshal(s, encodeOptions)
	if err != nil {
		want, _ = jsontext.AppendQuote(nil, s)
	}
	if !bytes.Equal(a.b[1:], want) || a.bad != (err != nil) {
		t.Fatalf("str(%q) = %q, bad %v; Marshal: %q, %v", s, a.b[1:], a.bad, want, err)
	}
}

// TestQuoteLikeMarshal compares every string of up to two bytes, and each
// byte and awkward string in the middle of plain text, where the fast path
// must give way to the library's loop.
func TestQuoteLikeMarshal(t *testing.T) {
	sameQuote(t, "")
	for c := range 256 {
		sameQuote(t, string(rune(c)))                      // a character, UTF-8 encoded
		sameQuote(t, "user-"+string([]byte{byte(c)})+"-1") // a raw byte
		for d := range 256 {
			sameQuote(t, string([]byte{byte(c), byte(d)}))
		}
	}
	for _, s := range append(awkward, "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "é"[:1], "\U0010ffff", "日本語") {
		sameQuote(t, s)
		sameQuote(t, "alice "+s+" bob")
	}
}

// TestPlain pins the fast path's decision: the strings of a row take it,
// and a string that needs escaping or holds invalid UTF-8 does not, so
// that the tests above exercise both paths.
func TestPlain(t *testing.T) {
	for _, s := range []string{"", "user-12", "2026-01-02T00:00:00.000Z", "server-1/abcdef12", "<b>&amp;</b>", "\x7f", "é", "\u2028", "\ufffd", "日本語"} {
		if !plain(s) {
			t.Errorf("plain(%q) = false", s)
		}
	}
	for _, s := range []string{"\"", "\\", "\x00", "\x1f", "a\nb", "\xff", "é"[:1], "\xed\xa0\x80", "é\x01"} {
		if plain(s) {
			t.Errorf("plain(%q) = true", s)
		}
	}
}

// FuzzQuote compares appender.str with Marshal on arbitrary strings, and
// holds plain to its definition: Marshal writes s unchanged between quotes.
func FuzzQuote(f *testing.F) {
	for _, s := range append(awkward, "\xff", "ok\xfe", "\xed\xa0\x80", "\xc0\xaf", "é"[:1], "user-1") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameQuote(t, s)
		if plain(s) != plainByMarshal(s) {
			t.Fatalf("plain(%q) = %v", s, plain(s))
		}
	})
}

// plainByMarshal reports whether Marshal writes s unchanged between quotes.
func plainByMarshal(s string) bool {
	b, err := json.Marshal(s, encodeOptions)
	return err == nil && string(b) == `"`+s+`"`
}
