package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/chatstate/chatstate/codec"
)

// ClientFrame is any frame a client sends; which fields matter depends on Op
// ("join", "leave", "send", "read", "edit", "delete", "react", "ping", and
// the rules' "settings", "role", "invite", "kick", "ban", "mute", "dm",
// "typing"). Pointers tell a missing field from a
// zero one. A frame returned by DecodeClientFrame without an error has
// passed every check of its op: Room is a valid name for join, leave and
// send, Text is set and normalized for send.
type ClientFrame struct {
	Op      string          `json:"op"`      // the request; see DecodeClientFrame
	Room    string          `json:"room"`    // the room of a join, leave or send
	Text    *string         `json:"text"`    // a send's text, normalized
	After   *int64          `json:"after"`   // a join's cursor to resume after
	Epoch   string          `json:"epoch"`   // the epoch of After; empty means this log's
	History *int            `json:"history"` // how many messages a join wants; nil means DefaultHistory
	Cursor  *int64          `json:"cursor"`  // a read's marker
	ID      string          `json:"id"`      // the message an edit, delete or react changes
	Emoji   string          `json:"emoji"`   // a react's reaction
	On      *bool           `json:"on"`      // a react: add (true) or remove (false); a ban or mute: on or off
	User    string          `json:"user"`    // the user a role, invite, kick, ban, mute or dm acts on
	Role    string          `json:"role"`    // a role's role
	Private *bool           `json:"private"` // a settings' privacy, nil to leave it
	Topic   *string         `json:"topic"`   // a settings' topic, nil to leave it
	Ref     json.RawMessage `json:"ref"`     // any JSON value, echoed in the answer
}

// Defaults and bounds of a join.
const (
	// DefaultHistory is how many messages a join's snapshot carries when
	// the join names no history.
	DefaultHistory = 50
	// MaxResume is the most events a resumed snapshot carries: the newest
	// ones; with more, it says truncated.
	MaxResume = 1000
)

// DecodeClientFrame parses and checks one client frame. The frame is never
// nil: returned with an error, it carries the ref when it could be read, so
// that the error can name it. The error's code is CodeBadRequest or
// CodeTooLarge. It never panics, whatever data holds.
func DecodeClientFrame(data []byte) (*ClientFrame, *Error) {
	var f ClientFrame
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &f, typeError(data, te)
		}
		return &f, Errorf(CodeBadRequest, "frame is not a JSON object")
	}
	if dec.More() {
		return &f, Errorf(CodeBadRequest, "one JSON object per frame")
	}
	if e := checkMembers(data); e != nil {
		if !utf8.Valid(f.Ref) {
			f.Ref = nil // never echoed into a frame that must be text
		}
		return &f, e
	}
	switch f.Op {
	case "join":
		if err := codec.CheckName("room", f.Room); err != nil {
			return &f, Errorf(CodeBadRequest, "%s", TrimInvalid(err))
		}
		if f.History != nil && (*f.History < 0 || *f.History > codec.HistoryLimit) {
			return &f, Errorf(CodeBadRequest, "history must be 0 to %d", codec.HistoryLimit)
		}
		if f.After != nil && *f.After < -1 {
			return &f, Errorf(CodeBadRequest, "after must be a cursor (-1 or more)")
		}
	case "leave":
		if err := codec.CheckName("room", f.Room); err != nil {
			return &f, Errorf(CodeBadRequest, "%s", TrimInvalid(err))
		}
	case "send":
		if err := codec.CheckName("room", f.Room); err != nil {
			return &f, Errorf(CodeBadRequest, "%s", TrimInvalid(err))
		}
		if f.Text == nil {
			return &f, Errorf(CodeBadRequest, "text is missing")
		}
		t, err := codec.NormalizeText(*f.Text)
		if errors.Is(err, codec.ErrTooLarge) {
			return &f, Errorf(CodeTooLarge, "%s", TrimInvalid(err))
		} else if err != nil {
			return &f, Errorf(CodeBadRequest, "%s", TrimInvalid(err))
		}
		f.Text = &t
	case "read":
		if err := codec.CheckName("room", f.Room); err != nil {
			return &f, Errorf(CodeBadRequest, "%s", TrimInvalid(err))
		}
		if f.Cursor == nil {
			return &f, Errorf(CodeBadRequest, "cursor is missing")
		}
		if *f.Cursor < 0 {
			return &f, Errorf(CodeBadRequest, "cursor must be 0 or more")
		}
	case "edit", "delete", "react":
		if err := codec.CheckName("room", f.Room); err != nil {
			return &f, Errorf(CodeBadRequest, "%s", TrimInvalid(err))
		}
		if f.ID == "" || len(f.ID) > 64 {
			return &f, Errorf(CodeBadRequest, "id must name a message: 1 to 64 bytes")
		}
		if e := checkChange(&f); e != nil {
			return &f, e
		}
	case "settings", "role", "invite", "kick", "ban", "mute", "dm", "typing":
		if e := checkRule(&f); e != nil {
			return &f, e
		}
	case "ping":
	case "":
		if !isObject(data) { // null
			return &f, Errorf(CodeBadRequest, "frame must be a JSON object")
		}
		return &f, Errorf(CodeBadRequest, "op is missing")
	default:
		return &f, Errorf(CodeBadRequest, "unknown op %q", f.Op)
	}
	return &f, nil
}

// checkChange checks the fields of an edit (its text, normalized in
// place) and of a react (emoji and on); a delete has none of its own.
func checkChange(f *ClientFrame) *Error {
	switch f.Op {
	case "edit":
		if f.Text == nil {
			return Errorf(CodeBadRequest, "text is missing")
		}
		t, err := codec.NormalizeText(*f.Text)
		if errors.Is(err, codec.ErrTooLarge) {
			return Errorf(CodeTooLarge, "%s", TrimInvalid(err))
		} else if err != nil {
			return Errorf(CodeBadRequest, "%s", TrimInvalid(err))
		}
		f.Text = &t
	case "react":
		if err := codec.CheckEmoji(f.Emoji); err != nil {
			return Errorf(CodeBadRequest, "%s", TrimInvalid(err))
		}
		if f.On == nil {
			return Errorf(CodeBadRequest, "on is missing: true adds the reaction, false removes it")
		}
	}
	return nil
}

// isObject reports whether the JSON value data is an object.
func isObject(data []byte) bool {
	v := bytes.TrimLeft(data, " \t\r\n")
	return len(v) > 0 && v[0] == '{'
}

// typeError explains a value of the wrong JSON type: a frame that is not an
// object, a number out of the range of after or history, or a field of
// another type.
func typeError(data []byte, te *json.UnmarshalTypeError) *Error {
	if te.Field == "" || !isObject(data) {
		return Errorf(CodeBadRequest, "frame must be a JSON object")
	}
	var fields map[string]json.RawMessage
	n, isNumber := new(big.Float), false
	if json.Unmarshal(data, &fields) == nil {
		_, isNumber = n.SetString(string(fields[te.Field]))
	}
	if isNumber && (te.Field == "after" || te.Field == "history" || te.Field == "cursor") {
		outside := n.Cmp(new(big.Float).SetInt64(math.MaxInt64)) > 0 || n.Cmp(new(big.Float).SetInt64(math.MinInt64)) < 0
		switch {
		case !outside: // in range, so a fraction or an exponent
			return Errorf(CodeBadRequest, "%s must be an integer", te.Field)
		case te.Field == "history":
			return Errorf(CodeBadRequest, "history must be 0 to %d", codec.HistoryLimit)
		case n.Sign() > 0:
			return Errorf(CodeBadRequest, "%s is too large: at most %d", te.Field, int64(math.MaxInt64))
		case te.Field == "cursor":
			return Errorf(CodeBadRequest, "cursor must be 0 or more")
		}
		return Errorf(CodeBadRequest, "after must be a cursor (-1 or more)")
	}
	return Errorf(CodeBadRequest, "field %s has the wrong type", te.Field)
}

// TrimInvalid returns the message of a codec error without its package
// prefixes, as clients are told it.
func TrimInvalid(err error) string {
	msg := err.Error()
	for _, p := range []string{codec.ErrInvalid.Error() + ": ", codec.ErrTooLarge.Error() + ": "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}
