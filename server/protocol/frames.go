package protocol

import (
	"encoding/json"
	"strconv"

	"github.com/chatstate/chatstate/codec"
)

// Server frames. Field names are the contract's; Op names the frame.

// HelloFrame is the first frame of every connection: who it speaks for,
// its session, the server and the epoch of the log.
type HelloFrame struct {
	Op      string `json:"op"`      // "hello"
	User    string `json:"user"`    // who the connection speaks for
	Session string `json:"session"` // the session id, as its events name it
	Server  string `json:"server"`  // the server id
	Epoch   string `json:"epoch"`   // the epoch of the log the cursors belong to
}

// Entry is one event of a room at its cursor, as snapshots and the events
// API list them.
type Entry struct {
	Cursor int64        `json:"cursor"` // the event's offset: its cursor in the room
	Event  codec.Public `json:"event"`  // the event as clients see it
}

// SnapshotFrame answers a join: the room at Cursor, with its history or the
// resumed events up to it.
type SnapshotFrame struct {
	Op        string          `json:"op"`            // "snapshot"
	Ref       json.RawMessage `json:"ref,omitempty"` // the join's ref, if it had one
	Room      string          `json:"room"`          // the room joined
	Cursor    int64           `json:"cursor"`        // the cursor the snapshot reflects; the stream continues above it
	Epoch     string          `json:"epoch"`         // the epoch of the log
	Members   []codec.Member  `json:"members"`       // the members at Cursor
	Messages  int64           `json:"messages"`      // the count of messages at Cursor
	Events    []Entry         `json:"events"`        // the history or the resumed events, in cursor order; never null
	Resumed   bool            `json:"resumed"`       // the events are all those after the join's cursor
	Truncated bool            `json:"truncated"`     // some events wanted were deleted by retention or left out
	// The room's rules at Cursor, as the joining user may see them.
	codec.RoomRules
	// Denied is why the room's rules refuse the join at Cursor, nil if
	// they do not: the server answers forbidden and writes nothing.
	Denied error `json:"-"`
	// Reads is the joining user's read state at Cursor, nil if they had
	// none; the server sends it as an unread frame after the snapshot.
	Reads *codec.ReadMark `json:"-"`
}

// UnreadFrame tells every session of a user that joined a room the user's
// read state there: after the join's snapshot, and whenever the count or
// the mentions change.
type UnreadFrame struct {
	Op       string `json:"op"`       // "unread"
	Room     string `json:"room"`     // the room
	Count    int64  `json:"count"`    // messages of others after the marker
	Mentions int64  `json:"mentions"` // those of them that mention the user
	Cursor   int64  `json:"cursor"`   // the user's read marker
}

// Unread returns the unread frame of room for a read state: MustJSON of
// the UnreadFrame, written by hand because the hub encodes one for every
// other member of a room on each of its messages. room must be a valid
// name (codec.ValidName), which JSON quotes as it is.
func Unread(room string, r codec.ReadMark) []byte {
	b := make([]byte, 0, 64+len(room))
	b = append(b, `{"op":"unread","room":"`...)
	b = append(b, room...)
	b = append(b, `","count":`...)
	b = strconv.AppendInt(b, r.Count, 10)
	b = append(b, `,"mentions":`...)
	b = strconv.AppendInt(b, r.Mentions, 10)
	b = append(b, `,"cursor":`...)
	b = strconv.AppendInt(b, r.Cursor, 10)
	return append(b, '}')
}

// EventFrame is one event of a joined room, streamed after its snapshot.
type EventFrame struct {
	Op     string       `json:"op"`     // "event"
	Room   string       `json:"room"`   // the event's room
	Cursor int64        `json:"cursor"` // the event's cursor
	Event  codec.Public `json:"event"`  // the event as clients see it
}

// AckFrame acknowledges a send or a leave once Kafka took its write.
type AckFrame struct {
	Op     string          `json:"op"`     // "ack"
	Ref    json.RawMessage `json:"ref"`    // the request's ref
	Room   string          `json:"room"`   // the room written to
	Cursor int64           `json:"cursor"` // the cursor of the event written
}

// ErrorFrame answers a request that failed, with the code of an Error.
type ErrorFrame struct {
	Op      string          `json:"op"`            // "error"
	Code    string          `json:"code"`          // one of the Code constants
	Message string          `json:"message"`       // for people
	Ref     json.RawMessage `json:"ref,omitempty"` // the request's ref, when it could be read
}

// InvitedFrame tells every session of a user that they were invited to a
// room (or that another user opened a direct room with them).
type InvitedFrame struct {
	Op   string `json:"op"`   // "invited"
	Room string `json:"room"` // the room
	By   string `json:"by"`   // who invited
}

// TypingFrame relays that a member of a room is typing to its other members.
type TypingFrame struct {
	Op   string `json:"op"`   // "typing"
	Room string `json:"room"` // the room
	User string `json:"user"` // who is typing
}

// PongFrame answers a client's ping frame (op "ping").
type PongFrame struct {
	Op  string          `json:"op"`            // "pong"
	Ref json.RawMessage `json:"ref,omitempty"` // the ping's ref, if it had one
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
