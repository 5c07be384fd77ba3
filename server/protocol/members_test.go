package protocol

import (
	"testing"
	"unicode/utf8"
)

// TestFrameTextIsStrict checks what encoding/json would let through and a
// frame must not carry: bytes that are not UTF-8, lone surrogates, a
// repeated member, a member spelt in another case. Each is refused with
// bad_request, its ref echoed only when it is text.
func TestFrameTextIsStrict(t *testing.T) {
	for _, tc := range []struct {
		frame, message, ref string
	}{
		{"{\"op\":\"send\",\"room\":\"r\",\"text\":\"ab\xff\xfecd\",\"ref\":\"x\"}", "frame is not valid UTF-8", `"x"`},
		{"{\"op\":\"ping\",\"ref\":\"\xff\"}", "frame is not valid UTF-8", ""},
		{`{"op":"send","room":"r","text":"a\ud800b","ref":1}`, "frame is not valid JSON text: a string holds an invalid escape", "1"},
		{`{"op":"ping","op":"frob","ref":2}`, "member op is repeated", "2"},
		{`{"Op":"send","Room":"r","Text":"hi","Ref":3}`, `member "Op" is spelt "op"`, "3"},
		{`{"op":"ping","REF":4}`, `member "REF" is spelt "ref"`, "4"},
	} {
		f, e := DecodeClientFrame([]byte(tc.frame))
		if e == nil || e.Code != CodeBadRequest || e.Message != tc.message {
			t.Errorf("%q: got %+v, want bad_request %q", tc.frame, e, tc.message)
			continue
		}
		if string(f.Ref) != tc.ref || !utf8.Valid(f.Ref) {
			t.Errorf("%q: ref %q, want %q", tc.frame, f.Ref, tc.ref)
		}
	}
	// Valid text, escaped or not, and members the frame does not know pass.
	for _, frame := range []string{
		`{"op":"send","room":"r","text":"h\u00e9 \ud83d\ude00 é 😀","ref":{"Op":1,"op":2}}`,
		`{"op":"ping","client":"x","Client":"y"}`,
	} {
		if _, e := DecodeClientFrame([]byte(frame)); e != nil {
			t.Errorf("%s: %+v", frame, e)
		}
	}
}
