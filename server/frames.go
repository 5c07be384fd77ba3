package server

import (
	"bytes"
	"encoding/json"
	"errors"
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
			return &f, errorf(CodeBadRequest, "field %s has the wrong type", te.Field)
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
		return &f, errorf(CodeBadRequest, "op is missing")
	default:
		return &f, errorf(CodeBadRequest, "unknown op %q", f.Op)
	}
	return &f, nil
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
