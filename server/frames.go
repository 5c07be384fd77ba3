package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strings"

	"github.com/chatstate/chatstate/codec"
)

// clientFrame is any frame a client sends; which fields matter depends on Op.
// Pointers tell a missing field from a zero one.
type clientFrame struct {
	Op      string          `json:"op"`
	Room    string          `json:"room"`
	Text    *string         `json:"text"`
	After   *int64          `json:"after"`
	Epoch   string          `json:"epoch"`
	History *int            `json:"history"`
	Ref     json.RawMessage `json:"ref"`
}

// Defaults and bounds of a join.
const (
	defaultHistory = 50
	maxResume      = 1000
)

// decodeClientFrame parses and checks one client frame. The frame returned
// with an error carries the ref when it could be read, so that the error can
// name it.
func decodeClientFrame(data []byte) (*clientFrame, *Error) {
	var f clientFrame
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &f, typeError(data, te)
		}
		return &f, errorf(CodeBadRequest, "frame is not a JSON object")
	}
	if dec.More() {
		return &f, errorf(CodeBadRequest, "one JSON object per frame")
	}
	switch f.Op {
	case "join":
		if err := codec.CheckName("room", f.Room); err != nil {
			return &f, errorf(CodeBadRequest, "%s", trimInvalid(err))
		}
		if f.History != nil && (*f.History < 0 || *f.History > codec.HistoryLimit) {
			return &f, errorf(CodeBadRequest, "history must be 0 to %d", codec.HistoryLimit)
		}
		if f.After != nil && *f.After < -1 {
			return &f, errorf(CodeBadRequest, "after must be a cursor (-1 or more)")
		}
	case "leave":
		if err := codec.CheckName("room", f.Room); err != nil {
			return &f, errorf(CodeBadRequest, "%s", trimInvalid(err))
		}
	case "send":
		if err := codec.CheckName("room", f.Room); err != nil {
			return &f, errorf(CodeBadRequest, "%s", trimInvalid(err))
		}
		if f.Text == nil {
			return &f, errorf(CodeBadRequest, "text is missing")
		}
		t, err := codec.NormalizeText(*f.Text)
		if errors.Is(err, codec.ErrTooLarge) {
			return &f, errorf(CodeTooLarge, "%s", trimInvalid(err))
		} else if err != nil {
			return &f, errorf(CodeBadRequest, "%s", trimInvalid(err))
		}
		f.Text = &t
	case "ping":
	case "":
		if !isObject(data) { // null
			return &f, errorf(CodeBadRequest, "frame must be a JSON object")
		}
		return &f, errorf(CodeBadRequest, "op is missing")
	default:
		return &f, errorf(CodeBadRequest, "unknown op %q", f.Op)
	}
	return &f, nil
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
		return errorf(CodeBadRequest, "frame must be a JSON object")
	}
	var fields map[string]json.RawMessage
	n, isNumber := new(big.Float), false
	if json.Unmarshal(data, &fields) == nil {
		_, isNumber = n.SetString(string(fields[te.Field]))
	}
	if isNumber && (te.Field == "after" || te.Field == "history") {
		outside := n.Cmp(new(big.Float).SetInt64(math.MaxInt64)) > 0 || n.Cmp(new(big.Float).SetInt64(math.MinInt64)) < 0
		switch {
		case !outside: // in range, so a fraction or an exponent
			return errorf(CodeBadRequest, "%s must be an integer", te.Field)
		case te.Field == "history":
			return errorf(CodeBadRequest, "history must be 0 to %d", codec.HistoryLimit)
		case n.Sign() > 0:
			return errorf(CodeBadRequest, "after is too large: at most %d", int64(math.MaxInt64))
		}
		return errorf(CodeBadRequest, "after must be a cursor (-1 or more)")
	}
	return errorf(CodeBadRequest, "field %s has the wrong type", te.Field)
}

// trimInvalid drops the package prefixes of a codec error for clients.
func trimInvalid(err error) string {
	msg := err.Error()
	for _, p := range []string{codec.ErrInvalid.Error() + ": ", codec.ErrTooLarge.Error() + ": "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

// Server frames. Field names are the contract's.

type helloFrame struct {
	Op      string `json:"op"`
	User    string `json:"user"`
	Session string `json:"session"`
	Server  string `json:"server"`
	Epoch   string `json:"epoch"`
}

type entryJSON struct {
	Cursor int64        `json:"cursor"`
	Event  codec.Public `json:"event"`
}

type snapshotFrame struct {
	Op        string          `json:"op"`
	Ref       json.RawMessage `json:"ref,omitempty"`
	Room      string          `json:"room"`
	Cursor    int64           `json:"cursor"`
	Epoch     string          `json:"epoch"`
	Members   []codec.Member  `json:"members"`
	Messages  int64           `json:"messages"`
	Events    []entryJSON     `json:"events"`
	Resumed   bool            `json:"resumed"`
	Truncated bool            `json:"truncated"`
}

type eventFrame struct {
	Op     string       `json:"op"`
	Room   string       `json:"room"`
	Cursor int64        `json:"cursor"`
	Event  codec.Public `json:"event"`
}

type ackFrame struct {
	Op     string          `json:"op"`
	Ref    json.RawMessage `json:"ref"`
	Room   string          `json:"room"`
	Cursor int64           `json:"cursor"`
}

type errorFrame struct {
	Op      string          `json:"op"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Ref     json.RawMessage `json:"ref,omitempty"`
}

type pongFrame struct {
	Op  string          `json:"op"`
	Ref json.RawMessage `json:"ref,omitempty"`
}

// mustJSON encodes a frame; frames are plain structs, so it cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("server: frame does not encode: " + err.Error())
	}
	return b
}

func encodeEvent(cursor int64, e *codec.Event) []byte {
	return mustJSON(eventFrame{Op: "event", Room: e.Room, Cursor: cursor, Event: e.Public()})
}

func entries(in []entryJSON) []entryJSON {
	if in == nil {
		return []entryJSON{}
	}
	return in
}
