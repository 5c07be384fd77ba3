package codec_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chatstate/chatstate/codec"
)

// FuzzDecodeEvent checks DecodeEvent on arbitrary input. Invariants:
//   - it never panics;
//   - it returns either an event and no error, or no event and an error
//     wrapping ErrDecode or ErrInvalid;
//   - a record that decodes also validates;
//   - re-encoding a decoded event and decoding that again gives an equal
//     event, through DecodeEvent and through EventCodec alike.
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range codec.FuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := codec.DecodeEvent(data)
		if err != nil {
			if e != nil {
				t.Fatalf("DecodeEvent returned %+v with error %v", e, err)
			}
			if !errors.Is(err, codec.ErrDecode) && !errors.Is(err, codec.ErrInvalid) {
				t.Fatalf("DecodeEvent error %v wraps neither ErrDecode nor ErrInvalid", err)
			}
			return
		}
		if e == nil {
			t.Fatal("DecodeEvent returned neither event nor error")
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("decoded event %+v does not validate: %v", e, err)
		}
		b, err := codec.EventCodec{}.Encode(e)
		if err != nil {
			t.Fatalf("Encode(%+v): %v", e, err)
		}
		again, err := codec.DecodeEvent(b)
		if err != nil {
			t.Fatalf("re-encoded event %s does not decode: %v", b, err)
		}
		if !again.Equal(e) {
			t.Fatalf("round trip changed the event:\n got %+v\nwant %+v", *again, *e)
		}
		v, err := codec.EventCodec{}.Decode(b)
		if ev, ok := v.(*codec.Event); err != nil || !ok || !ev.Equal(e) {
			t.Fatalf("EventCodec.Decode(%s) = %#v, %v", b, v, err)
		}
	})
}

// FuzzNormalizeText checks NormalizeText on arbitrary text. Invariants:
//   - it never panics;
//   - it succeeds exactly when the input is valid UTF-8 and its trimmed form
//     is 1 to MaxTextBytes bytes, and ErrTooLarge is reported exactly when
//     only the length is wrong;
//   - the output of a success is valid UTF-8, trimmed, the input's trimmed
//     form, and a fixed point: NormalizeText(output) == output.
func FuzzNormalizeText(f *testing.F) {
	for _, s := range []string{"hello", "  hi \n", "", " \t ", "\xff", "\u00a0x\u3000",
		strings.Repeat("a", codec.MaxTextBytes), strings.Repeat("é", codec.MaxTextBytes/2+1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := codec.NormalizeText(s)
		trimmed := strings.TrimSpace(s)
		valid := utf8.ValidString(s)
		wantOK := valid && trimmed != "" && len(trimmed) <= codec.MaxTextBytes
		if (err == nil) != wantOK {
			t.Fatalf("NormalizeText(%q) error %v, want success %v", s, err, wantOK)
		}
		if err != nil {
			if out != "" || !errors.Is(err, codec.ErrInvalid) {
				t.Fatalf("NormalizeText(%q) = %q, %v; want \"\" and ErrInvalid", s, out, err)
			}
			if tooLarge := valid && len(trimmed) > codec.MaxTextBytes; errors.Is(err, codec.ErrTooLarge) != tooLarge {
				t.Fatalf("NormalizeText(%q) = %v; ErrTooLarge want %v", s, err, tooLarge)
			}
			return
		}
		if !utf8.ValidString(out) || out != strings.TrimSpace(out) || out != trimmed {
			t.Fatalf("NormalizeText(%q) = %q, not the valid trimmed input", s, out)
		}
		if again, err := codec.NormalizeText(out); err != nil || again != out {
			t.Fatalf("NormalizeText(%q) = %q, %v; want a fixed point", out, again, err)
		}
	})
}

// TestFuzzSeeds pins the seeds: the first eighteen decode, the others do not, so
// that the fuzzer starts from both sides of the boundary.
func TestFuzzSeeds(t *testing.T) {
	for i, s := range codec.FuzzSeeds {
		_, err := codec.DecodeEvent([]byte(s))
		if (err == nil) != (i < 18) {
			t.Errorf("seed %d %s: error %v", i, s, err)
		}
	}
}
