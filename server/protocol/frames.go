package protocol

import (
	"encoding/json"

	"github.com/chatstate/chatstate/codec"
)

// Server frames. Field names are the contract's; Op names the frame.

// HelloFrame is the first frame of every connection: who it speaks for,
// its session, the server and the epoch of the log.
type HelloFrame struct {
	Op      string `json:"op"`
	User    string `json:"user"`
	Session string `json:"session"`
	Server  string `json:"server"`
	Epoch   string `json:"epoch"`
}

// Entry is one event of a room at its cursor, as snapshots and the events
// API list them.
type Entry struct {
	Cursor int64        `json:"cursor"`
	Event  codec.Public `json:"event"`
}

// SnapshotFrame answers a join: the room at Cursor, with its history or the
// resumed events up to it.
type SnapshotFrame struct {
	Op        string          `json:"op"`
	Ref       json.RawMessage `json:"ref,omitempty"`
	Room      string          `json:"room"`
	Cursor    int64           `json:"cursor"`
	Epoch     string          `json:"epoch"`
	Members   []codec.Member  `json:"members"`
	Messages  int64           `json:"messages"`
	Events    []Entry         `json:"events"`
	Resumed   bool            `json:"resumed"`
	Truncated bool            `json:"truncated"`
}

// EventFrame is one event of a joined room, streamed after its snapshot.
type EventFrame struct {
	Op     string       `json:"op"`
	Room   string       `json:"room"`
	Cursor int64        `json:"cursor"`
	Event  codec.Public `json:"event"`
}

// AckFrame acknowledges a send or a leave once Kafka took its write.
type AckFrame struct {
	Op     string          `json:"op"`
	Ref    json.RawMessage `json:"ref"`
	Room   string          `json:"room"`
	Cursor int64           `json:"cursor"`
}

// ErrorFrame answers a request that failed, with the code of an Error.
type ErrorFrame struct {
	Op      string          `json:"op"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Ref     json.RawMessage `json:"ref,omitempty"`
}

// PongFrame answers a client's ping frame (op "ping").
type PongFrame struct {
	Op  string          `json:"op"`
	Ref json.RawMessage `json:"ref,omitempty"`
}

// MustJSON encodes a frame. Frames are plain structs, so it cannot fail:
// it panics if v does not encode.
func MustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("protocol: frame does not encode: " + err.Error())
	}
	return b
}

// EncodeEvent returns the event frame of e at cursor: the one encoding that
// every recipient of the event shares.
func EncodeEvent(cursor int64, e *codec.Event) []byte {
	return MustJSON(EventFrame{Op: "event", Room: e.Room, Cursor: cursor, Event: e.Public()})
}

// Entries returns in, or an empty list for nil, so that it encodes as [].
func Entries(in []Entry) []Entry {
	if in == nil {
		return []Entry{}
	}
	return in
}
