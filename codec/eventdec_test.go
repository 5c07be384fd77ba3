package codec

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// decodeEventReflect is DecodeEvent as it was before eventdec.go:
// json.Unmarshal with decodeOptions, the version check, then Validate.
func decodeEventReflect(data []byte) (*Event, error) {
	e := new(Event)
	if err := decodeStrict(data, e); err != nil {
		return nil, err
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// sentinel names the error class of err, as callers tell them apart.
func sentinel(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, ErrDecode):
		return "ErrDecode"
	case errors.Is(err, ErrInvalid):
		return "ErrInvalid"
	}
	return "neither: " + err.Error()
}

// sameAsReflect fails t unless the hand decoder agrees with the reflection
// path on data: unmarshalEvent with unmarshalStrict (same decision, same
// Event, the library's error), and DecodeEvent with decodeEventReflect
// (both accept with equal events, or both refuse with the same sentinel).
// The time in the event, if any, is also held to parseTimeStrict.
func sameAsReflect(t *testing.T, data []byte) {
	t.Helper()
	var got, want Event
	gotErr, wantErr := unmarshalEvent(data, &got), unmarshalStrict(data, &want)
	if (gotErr == nil) != (wantErr == nil) || gotErr == nil && !got.Equal(&want) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("unmarshalEvent(%q):\n got  %+v, %v\n want %+v, %v", data, got, gotErr, want, wantErr)
	}
	ge, gerr := DecodeEvent(data)
	we, werr := decodeEventReflect(data)
	if sentinel(gerr) != sentinel(werr) || (ge == nil) != (we == nil) || ge != nil && !ge.Equal(we) {
		t.Fatalf("DecodeEvent(%q):\n got  %+v, %v\n want %+v, %v", data, ge, gerr, we, werr)
	}
	if gerr != nil && !strings.HasPrefix(sentinel(gerr), "Err") {
		t.Fatalf("DecodeEvent(%q) error %v wraps neither ErrDecode nor ErrInvalid", data, gerr)
	}
	if wantErr == nil {
		sameTime(t, want.TS)
		for _, s := range []string{want.Room, want.User} {
			if ValidName(s) != nameRE.MatchString(s) {
				t.Fatalf("ValidName(%q) = %v, regexp says otherwise", s, ValidName(s))
			}
		}
	}
}

// sameTime fails t unless ParseTime and parseTimeStrict agree on s.
func sameTime(t *testing.T, s string) {
	t.Helper()
	got, gotErr := ParseTime(s)
	want, wantErr := parseTimeStrict(s)
	if (gotErr == nil) != (wantErr == nil) || !got.Equal(want) || got.Location() != want.Location() {
		t.Fatalf("ParseTime(%q) = %v, %v; want %v, %v", s, got, gotErr, want, wantErr)
	}
}

// eventEdges are inputs on every rule of the contract in eventdec.go. Each
// %s is filled with the members of a valid join event, so that an input
// is refused for the rule it tries and not for a missing field.
var eventEdges = []string{
	// one object, white space only around it
	`{%s}`, " \t\r\n{%s} \n", `{%s}x`, `{%s}{}`, `{%s} null`, `{%s},`, "\ufeff{%s}", "\u00a0{%s}",
	`null`, ` null `, `null null`, `null x`, `"x" "y"`, `1 2`, `{} {}`, `nul`, `[]`, `[{%s}]`, `1`, `"x"`, `true`, ``, ` `, `{}`, `{`, `}`, `{%s`, `{%s,}`, `{,%s}`,
	`{ "v" : 1 , "id" : "x" , "type" : "join" , "room" : "lobby" , "user" : "u" , "ts" : "2024-05-01T12:00:00.000Z" , "session" : "s" }`,
	// invalid UTF-8 anywhere; escapes of invalid code points
	`{%s,"text":"a` + "\xff" + `"}`, `{%s,"server":"` + "\xed\xa0\x80" + `"}`, `{%s,"bogus` + "\xc0" + `":1}`,
	`{%s,"server":"\ud800"}`, `{%s,"server":"\udc00x"}`, `{%s,"server":"\ud83d\ude00"}`, `{%s,"server":"\x"}`,
	`{%s,"server":"` + "\x01" + `"}`, `{%s,"server":"` + "\x7f" + `"}`, `{%s,"server":"\u0000"}`,
	// duplicate names, also through escapes
	`{%s,"v":1}`, `{%s,"\u0076":1}`, `{%s,"server":"a","server":"b"}`, `{%s,"server":"a","serv\u0065r":null}`,
	`{%s,"bogus":1,"bogus":1}`, `{%s,"bogus":{"a":1,"a":2}}`, `{%s,"server":{"a":1,"a":2}}`, `{"v":[{"a":1,"\u0061":1}]}`,
	`{%s,"text":"a","text":"a"}`, `{%s,"text":null,"text":"a"}`, `{%s,"v":null}`,
	// names: exact, case-sensitive, unescaped first
	`{"V":1,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","session":"s"}`,
	`{"\u0076":1,"\u0069d":"x","typ\u0065":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","\u0073ession":"s"}`,
	`{%s,"Server":"h"}`, `{%s,"SERVER":"h"}`, `{%s,"server ":"h"}`, `{%s,"":1}`, `{%s,"bogus":null}`,
	`{%s,"bogus":{"a":[1,2,{"b":null}]}}`, `{%s,"bogus":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
	`{%s,"\u0073\u0065\u0072\u0076\u0065\u0072\u0073\u0065\u0072\u0076\u0065\u0072":"h"}`,
	// null keeps the zero value
	`{%s,"server":null}`, `{%s,"text":null}`, `{"v":null,"id":"x"}`, `{"id":null}`,
	`{"v":1,"id":null,"type":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","session":"s"}`,
	`{"v":1,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","session":null}`,
	// v: only an integer of int's range; then the version check
	`{"v":1.0}`, `{"v":1e0}`, `{"v":1E0}`, `{"v":-0}`, `{"v":0}`, `{"v":-1}`, `{"v":2}`, `{"v":01}`, `{"v":+1}`,
	`{"v":9223372036854775807}`, `{"v":9223372036854775808}`, `{"v":-9223372036854775808}`, `{"v":-9223372036854775809}`,
	`{"v":18446744073709551615}`, `{"v":18446744073709551616}`, `{"v":99999999999999999999}`, `{"v":1e400}`, `{"v":-}`,
	`{"v":"1"}`, `{"v":true}`, `{"v":[]}`, `{"v":{}}`, `{"v":1 }`, `{"v":1` + "\n" + `}`,
	`{"v":2,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","session":"s"}`,
	`{"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","session":"s"}`,
	// a string field takes only a string
	`{%s,"server":1}`, `{%s,"server":true}`, `{%s,"server":[]}`, `{%s,"server":{}}`, `{%s,"text":5}`, `{%s,"server":-1}`,
	// strings, escaped or not, short or long
	`{%s,"server":"\n\"\\\/\b\f\r\t\u00e9\u4e16"}`, `{%s,"server":"\u0068"}`, `{%s,"server":""}`, `{%s,"server":"\"\""}`,
	`{"v":1,"id":"x","type":"message","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","text":"a\nb\u00e9"}`,
	`{"v":1,"id":"x","type":"message","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","text":"` + strings.Repeat(`x\"`, 2000) + `"}`,
	`{"v":1,"id":"x","type":"message","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","text":"` + strings.Repeat(`é`, 3000) + `"}`,
	`{"v":1,"id":"x","type":"message","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","text":" padded "}`,
	`{"v":1,"id":"x","type":"message","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","text":""}`,
	`{"v":1,"id":"x","type":"message","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z"}`,
	`{"v":1,"id":"` + strings.Repeat("i", 64) + `","type":"join","room":"` + strings.Repeat("r", 64) + `","user":"` + strings.Repeat("u", 64) +
		`","ts":"2024-05-01T12:00:00.000Z","session":"` + strings.Repeat(`\u0073`, 64) + `","server":"` + strings.Repeat("h", 64) + `"}`,
	`{"v":1,"id":"` + strings.Repeat("i", 65) + `","type":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","session":"s"}`,
	// Validate: every rule, ts among them
	`{%s,"text":"hi"}`, `{"v":1,"id":"x","type":"bogus","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","session":"s"}`,
	`{"v":1,"id":"x","type":"join","room":"-lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","session":"s"}`,
	`{"v":1,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00Z","session":"s"}`,
	`{"v":1,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-02-30T12:00:00.000Z","session":"s"}`,
	`{"v":1,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-02-29T24:00:00.000Z","session":"s"}`,
	`{"v":1,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-02-29T23:59:59.999Z","session":"s"}`,
	`{"v":1,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000\u005a","session":"s"}`,
	// the rules' fields: pointers (absent, null, false, empty), their types, where they belong
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","private":false}`,
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","private":true,"topic":""}`,
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","private":null,"topic":"a\u00e9\n"}`,
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","topic":"t\u0000"}`,
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","topic":" t "}`,
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","topic":"` + strings.Repeat("t", 257) + `"}`,
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","topic":null,"private":null}`,
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","private":"true"}`,
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","private":1}`,
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","topic":true}`,
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","topic":"a","topic":"b"}`,
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","priv\u0061te":true,"private":true}`,
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","private":true,"target":"b"}`,
	`{"v":1,"id":"x","type":"role","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","target":"b","role":"moderator"}`,
	`{"v":1,"id":"x","type":"role","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","target":"b","role":"owner"}`,
	`{"v":1,"id":"x","type":"role","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","role":"member"}`,
	`{"v":1,"id":"x","type":"invite","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","target":"b"}`,
	`{"v":1,"id":"x","type":"invite","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","target":"-b"}`,
	`{"v":1,"id":"x","type":"kick","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","target":"b","on":true}`,
	`{"v":1,"id":"x","type":"ban","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","target":"b","on":true}`,
	`{"v":1,"id":"x","type":"mute","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","target":"\u0062","on":false}`,
	`{"v":1,"id":"x","type":"mute","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","target":1}`,
	`{%s,"target":"b"}`, `{%s,"role":"member"}`, `{%s,"private":true}`, `{%s,"topic":"t"}`, `{%s,"target":null,"role":null}`,
	`{"v":1,"id":"x","type":"join","room":"dm-5fa3fdc3a1a9e43d0b5e2e32b2f8c1e1","user":"u","ts":"2024-05-01T12:00:00.000Z","session":"s","target":"v"}`,
	`{"v":1,"id":"x","type":"message","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","text":"hi","target":"b"}`,
}

// joinMembers are the members of a valid join event, for eventEdges.
const joinMembers = `"v":1,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","session":"s"`

// edgeInputs returns eventEdges filled in.
func edgeInputs() [][]byte {
	var out [][]byte
	for _, s := range eventEdges {
		out = append(out, []byte(strings.ReplaceAll(s, "%s", joinMembers)))
	}
	return out
}

// TestEventNames holds eventNames, and the order in which decode sets the
// fields, to the struct.
func TestEventNames(t *testing.T) {
	typ := reflect.TypeFor[Event]()
	if typ.NumField() != len(eventNames) {
		t.Fatalf("Event has %d fields, eventNames %d", typ.NumField(), len(eventNames))
	}
	for i, n := range eventNames {
		if tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ","); tag != n {
			t.Errorf("field %d of Event is %q, eventNames says %q", i, tag, n)
		}
	}
	if typ.Field(fieldV).Type.Kind() != reflect.Int || eventNames[fieldText] != "text" {
		t.Error("fieldV or fieldText is off")
	}
}

func TestEventDecodeEdges(t *testing.T) {
	for _, in := range edgeInputs() {
		sameAsReflect(t, in)
	}
	for _, s := range FuzzSeeds {
		sameAsReflect(t, []byte(s))
	}
}

// TestEventDecodeExpected pins a few decisions, lest both paths change.
func TestEventDecodeExpected(t *testing.T) {
	for in, want := range map[string]string{
		`{"\u0076":1,"\u0069d":"x","typ\u0065":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","\u0073ession":"s"}`: "nil",
		`{"V":1,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","session":"s"}`:                     "ErrDecode",
		`{"v":-0,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","session":"s"}`:                    "ErrDecode",
		`{"v":1.0,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","session":"s"}`:                   "ErrDecode",
		`{"v":1,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-05-01T12:00:00.000Z","session":"s","server":null}`:       "nil",
		`{"v":1,"id":"x","type":"join","room":"lobby","user":"u","ts":"2024-02-30T12:00:00.000Z","session":"s"}`:                     "ErrInvalid",
		`{"v":"1"}`: "ErrDecode",
		`null`:      "ErrDecode",
	} {
		if _, err := DecodeEvent([]byte(in)); sentinel(err) != want {
			t.Errorf("DecodeEvent(%s) = %v, want %s", in, err, want)
		}
	}
}

// TestParseTimeFast compares ParseTime with parseTimeStrict on every byte at
// every position of canonical times, and on the ends of the ranges of each
// field (leap years, month lengths, 24:00, leap seconds).
func TestParseTimeFast(t *testing.T) {
	for _, base := range []string{"2024-05-01T12:00:00.000Z", "0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"} {
		for i := range len(base) {
			for c := range 256 {
				b := []byte(base)
				b[i] = byte(c)
				sameTime(t, string(b))
			}
			sameTime(t, base[:i])
			sameTime(t, base[:i]+"0"+base[i:])
		}
	}
	for _, year := range []string{"0000", "0004", "1900", "2000", "2023", "2024", "2100", "9999"} {
		for month := range 14 {
			for day := range 34 {
				sameTime(t, fmt.Sprintf("%s-%02d-%02dT00:00:00.000Z", year, month, day))
			}
		}
	}
	for _, hms := range []string{"23:59:59", "24:00:00", "23:60:00", "23:59:60", "99:99:99", "00:00:00"} {
		sameTime(t, "2024-05-01T"+hms+".000Z")
	}
	for _, s := range []string{"", "2024-05-01T12:00:00.000z", "2024-05-01t12:00:00.000Z", "2024-05-01T12:00:00.000+00:00",
		"2024-05-01T12:00:00.0000Z", "2024-05-01T12:00:00.00Z", "2024-5-01T12:00:00.000Z", "2024-05-01T9:00:00.000Z",
		"+024-05-01T12:00:00.000Z", "-024-05-01T12:00:00.000Z", "2024-05-01T12:00:00,000Z", "２024-05-01T12:00:00.000Z"} {
		sameTime(t, s)
	}
}

// FuzzEventDecodeMatches is the differential check of sameAsReflect on
// arbitrary input, from the records of FuzzDecodeEvent and the edges.
func FuzzEventDecodeMatches(f *testing.F) {
	for _, s := range FuzzSeeds {
		f.Add([]byte(s))
	}
	for _, in := range edgeInputs() {
		if len(in) < 1000 {
			f.Add(in)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsReflect(t, data)
		// ts gets its own look: the fuzzer mutates it in place far more
		// often than it makes a whole event that decodes.
		if i := strings.Index(string(data), `"ts":"`); i >= 0 && len(data) >= i+6+24 {
			sameTime(t, string(data[i+6:i+6+24]))
		}
	})
}

// nameRE is what ValidName checks by hand.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// TestValidNameLikeRegexp compares ValidName with nameRE on every byte at
// every position of names at and around the length limit.
func TestValidNameLikeRegexp(t *testing.T) {
	for _, base := range []string{"a", "ab", "a.-_Z9", strings.Repeat("x", 63), strings.Repeat("x", 64), strings.Repeat("x", 65)} {
		for i := range len(base) {
			for c := range 256 {
				b := []byte(base)
				b[i] = byte(c)
				if s := string(b); ValidName(s) != nameRE.MatchString(s) {
					t.Fatalf("ValidName(%q) = %v, regexp says otherwise", s, ValidName(s))
				}
			}
		}
	}
	for _, s := range []string{"", "a\n", "\na", "é", "aé", "a\xff", "\u212a", "a\u0130"} {
		if ValidName(s) != nameRE.MatchString(s) {
			t.Fatalf("ValidName(%q) = %v, regexp says otherwise", s, ValidName(s))
		}
	}
}
