package protocol

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// frameMembers are the member names of ClientFrame, as a frame must spell
// them.
var frameMembers = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeFor[ClientFrame]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = true
	}
	return m
}()

// checkMembers refuses, in a frame that encoding/json decoded, what that
// decoder lets through and the contract does not: bytes that are not
// UTF-8 (which it would turn into U+FFFD, altering a text, and which a ref
// echoed would carry back into a frame that is not text), escapes of lone
// surrogates, a member named twice (where the last would win), and a
// member of the frame spelt in another case ("Op" for "op"). Members the
// frame does not know are left alone, as encoding/json leaves them. data
// that is not an object is left to the decoder's own messages.
func checkMembers(data []byte) *Error {
	if !utf8.Valid(data) {
		return Errorf(CodeBadRequest, "frame is not valid UTF-8")
	}
	r := memberReaders.Get().(*memberReader)
	defer func() {
		r.src.Reset(nil) // the pool keeps no frame alive
		memberReaders.Put(r)
	}()
	r.src.Reset(data)
	r.dec.Reset(&r.src)
	dec := &r.dec
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil
	}
	for dec.PeekKind() == '"' {
		raw, err := dec.ReadValue() // the name, quoted; valid until the next read
		if err != nil {
			return invalidText(err)
		}
		if !frameMembers[string(raw[1:len(raw)-1])] { // no allocation for the lookup
			if e := checkSpelling(raw); e != nil {
				return e
			}
		}
		if err := dec.SkipValue(); err != nil {
			return invalidText(err)
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return invalidText(err)
	}
	return nil
}

// checkSpelling refuses the member named by the quoted name raw when it is
// one of the frame's members in another case.
func checkSpelling(raw []byte) *Error {
	name, err := jsontext.AppendUnquote(nil, raw)
	if err != nil || frameMembers[string(name)] { // an escaped spelling of a member
		return nil
	}
	for known := range frameMembers {
		if strings.EqualFold(known, string(name)) {
			return Errorf(CodeBadRequest, "member %q is spelt %q", name, known)
		}
	}
	return nil
}

// memberReader is checkMembers' strict reader of one frame, pooled: a
// decoder's state is a kilobyte, and every frame a client sends is read.
type memberReader struct {
	src bytes.Reader
	dec jsontext.Decoder
}

var memberReaders = sync.Pool{New: func() any { return new(memberReader) }}

// invalidText explains a frame refused by checkMembers' strict read.
func invalidText(err error) *Error {
	if errors.Is(err, jsontext.ErrDuplicateName) {
		var se *jsontext.SyntacticError
		if errors.As(err, &se) {
			return Errorf(CodeBadRequest, "member %s is repeated", strings.TrimPrefix(string(se.JSONPointer), "/"))
		}
		return Errorf(CodeBadRequest, "a member is repeated")
	}
	return Errorf(CodeBadRequest, "frame is not valid JSON text: a string holds an invalid escape")
}
