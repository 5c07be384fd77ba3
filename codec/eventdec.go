package codec

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// The rooms processor, the tail of every server and every log read decode
// each event of the events topic, and a CPU profile of the rooms processor's
// callback put about 40% of it in DecodeEvent: json.Unmarshal's reflection
// over Event, then time.Parse and two regexp matches in Validate. So
// unmarshalEvent decodes an Event by hand, and ParseTime and ValidName check
// their canonical forms by hand.
//
// Its contract: for every input it fails exactly when
// unmarshalStrict(data, new(Event)) fails, with an error wrapping ErrDecode,
// and otherwise leaves exactly the Event that unmarshalStrict leaves;
// DecodeEvent then checks the version and validates as before. The rules,
// read in the library's source (makeStructArshaler, makeIntArshaler and
// makeStringArshaler in arshal_default.go) and held to by the differential
// tests and the fuzz target of eventdec_test.go:
//   - the record is read token by token by a jsontext.Decoder, which
//     Unmarshal reads with too, with the same options but one, so the
//     library judges the syntax, UTF-8, escapes, white space and trailing
//     data: one value, only white space after it;
//   - the option: no member name may come twice (compared unescaped), and
//     the Decoder's table of names was a tenth of the time, so decode checks
//     that itself for the fields, which is all it takes: an unknown name is
//     refused anyway, and so is a value holding an object;
//   - a top-level null is accepted and leaves the zero Event (the version
//     check refuses it); any other value but an object is refused;
//   - names are unescaped, then matched byte for byte: v2's default is
//     case-sensitive, so "\u0076" is "v" but "V" is unknown, and an unknown
//     name is refused (RejectUnknownMembers);
//   - a null value leaves the zero value; a string field takes only a
//     string; "v" only a number that is an integer of int's range with no
//     fraction or exponent (1.0, 1e0 and "1" are refused, -0 is 0).
//
// A refused record is rare (it goes to the dead-letter topic), so its error
// is the library's own, which says what is wrong and where.

// eventDecoder is a jsontext.Decoder with the buffer it reads: a Decoder
// reads a bytes.Buffer in place, so a record costs a copy, no allocation.
type eventDecoder struct {
	in   bytes.Buffer
	dec  jsontext.Decoder
	text []byte // the text unquoted, before it becomes a string
}

// eventDecoders recycles the eventDecoders.
var eventDecoders = sync.Pool{New: func() any { return new(eventDecoder) }}

// allowDuplicateNames leaves the check of duplicate names to decode.
var allowDuplicateNames = jsontext.AllowDuplicateNames(true)

// unmarshalEvent decodes data into e, which must be the zero Event, as
// unmarshalStrict does. After an error e may be partly set.
func unmarshalEvent(data []byte, e *Event) error {
	d := eventDecoders.Get().(*eventDecoder)
	ok := d.decode(data, e)
	if d.in.Cap() > 1<<16 || cap(d.text) > 1<<16 {
		*d = eventDecoder{} // do not pin the memory of a rare huge record
	}
	eventDecoders.Put(d)
	if !ok {
		return refuseEvent(data)
	}
	return nil
}

// decode is unmarshalEvent; it reports whether data decoded.
func (d *eventDecoder) decode(data []byte, e *Event) bool {
	d.in.Reset()
	d.in.Write(data)
	d.dec.Reset(&d.in, allowDuplicateNames)
	if tok, err := d.dec.ReadToken(); err != nil || tok.Kind() != '{' {
		if err != nil || tok.Kind() != 'n' {
			return false
		}
		_, err = d.dec.ReadToken()
		return err == io.EOF // null: the zero Event
	}
	// The short strings are unquoted one after another into one buffer,
	// on the stack if they fit, and become one string: one allocation for
	// all of them. The text, which can be kilobytes, gets its own, so that
	// a string kept from the event (a name as a map key) does not pin it.
	var scratch [256]byte
	buf := scratch[:0]
	var spans [numEventFields][2]int // field k is buf[spans[k][0]:spans[k][1]]
	var seen uint32                  // a bit for each field read
	var name [16]byte
	var ok bool
	for d.dec.PeekKind() == '"' {
		q, err := d.dec.ReadValue()
		if err != nil {
			return false
		}
		f := eventField(q[1 : len(q)-1])
		if bytes.IndexByte(q, '\\') >= 0 {
			n, err := jsontext.AppendUnquote(name[:0], q)
			if f = eventField(n); err != nil {
				return false
			}
		}
		if f < 0 || seen&(1<<f) != 0 {
			return false // unknown, or a duplicate
		}
		seen |= 1 << f
		v, err := d.dec.ReadValue()
		if err != nil {
			return false
		}
		switch k := v.Kind(); {
		case k == 'n': // the zero value, which the field has: it was not seen
		case k == '0' && f == fieldV:
			if e.V, ok = parseInt(v); !ok {
				return false
			}
		case k == '0' && (f == fieldCursor || f >= fieldFrom):
			n, ok := parseInt(v)
			if !ok {
				return false
			}
			switch f { // int is int64 wherever chatstate builds: see the test
			case fieldCursor:
				e.Cursor = int64(n)
			case fieldFrom:
				e.From = int64(n)
			case fieldMarked:
				e.Marked = int64(n)
			case fieldMarkedMentions:
				e.MarkedMentions = int64(n)
			}
		case (k == 't' || k == 'f') && f == fieldOn:
			e.On = k == 't'
		case (k == 't' || k == 'f') && f == fieldPrivate:
			b := k == 't' // a new bool, as Unmarshal allocates for a pointer
			e.Private = &b
		case k == '"' && f == fieldTopic:
			t, err := unquote(nil, v)
			if err != nil {
				return false
			}
			s := string(t)
			e.Topic = &s
		case k == '"' && f == fieldText:
			if d.text, err = unquote(d.text[:0], v); err != nil {
				return false
			}
			e.Text = string(d.text)
		case k == '"' && f != fieldV && f != fieldCursor && f != fieldOn && f != fieldPrivate && f < fieldFrom:
			spans[f][0] = len(buf)
			if buf, err = unquote(buf, v); err != nil {
				return false
			}
			spans[f][1] = len(buf)
		default:
			return false // a value of the wrong JSON type
		}
	}
	if tok, err := d.dec.ReadToken(); err != nil || tok.Kind() != '}' {
		return false
	}
	if _, err := d.dec.ReadToken(); err != io.EOF {
		return false // more than one value
	}
	all := string(buf)
	for f, p := range [numEventFields]*string{nil, &e.ID, (*string)(&e.Type), &e.Room, &e.User, &e.TS, nil, &e.Session, &e.Server, &e.Emoji, nil, nil, &e.Target, &e.Role, nil, nil, nil, nil, nil} {
		if p != nil {
			*p = all[spans[f][0]:spans[f][1]]
		}
	}
	return true
}

// eventNames are the member names of Event, in the order of its fields.
var eventNames = [...]string{"v", "id", "type", "room", "user", "ts", "text", "session", "server", "emoji", "cursor", "on", "target", "role", "private", "topic",
	"from", "marked", "marked_mentions"}

// The fields decode treats apart: v, cursor and the fields from fieldFrom
// on (from, marked, marked_mentions) are numbers, on and private booleans,
// and the text and the topic get their own strings (the topic behind a
// pointer: absent is not empty).
const (
	fieldV, fieldText, fieldCursor, fieldOn, fieldPrivate, fieldTopic = 0, 6, 10, 11, 14, 15
	fieldFrom, fieldMarked, fieldMarkedMentions                       = 16, 17, 18
	numEventFields                                                    = len(eventNames)
)

// eventField returns the field of the unescaped member name, or -1.
func eventField(name []byte) int {
	for f, n := range eventNames {
		if string(name) == n {
			return f
		}
	}
	return -1
}

// refuseEvent returns the error of a record unmarshalEvent refuses: the
// library's. Should the library accept it, the two disagree, which the
// tests rule out; the record is refused all the same.
func refuseEvent(data []byte) error {
	if err := unmarshalStrict(data, new(Event)); err != nil {
		return err
	}
	return fmt.Errorf("%w: the event decoder refuses what json.Unmarshal accepts", ErrDecode)
}

// unquote appends the contents of the quoted JSON string q: a copy, or
// if it holds an escape what the library unescapes.
func unquote(dst []byte, q jsontext.Value) ([]byte, error) {
	if bytes.IndexByte(q, '\\') < 0 {
		return append(dst, q[1:len(q)-1]...), nil
	}
	return jsontext.AppendUnquote(dst, q)
}

// parseInt parses a valid JSON number as makeIntArshaler does for an int:
// only digits after an optional '-', within int's range.
func parseInt(num []byte) (int, bool) {
	neg := num[0] == '-'
	if neg {
		num = num[1:]
	}
	n, err := strconv.ParseUint(string(num), 10, 64) // digits only, base 10
	if limit := uint64(1) << (strconv.IntSize - 1); err != nil || n > limit || n == limit && !neg {
		return 0, false
	}
	if neg {
		return int(-n), true
	}
	return int(n), true
}
