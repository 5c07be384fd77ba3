package client

import (
	"encoding/json"
	"strconv"
)

// Event is one event of a room as the server sends it. Type is one of
// "join", "leave", "message", "expire", and on servers that have them
// "read", "edit", "delete", "react", "settings", "role", "invite", "kick",
// "ban", "mute". Raw keeps the whole object, so that fields this package
// does not name (topic, …) stay readable.
type Event struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Room    string `json:"room"`
	User    string `json:"user"`              // the author, set by the server
	TS      string `json:"ts"`                // RFC 3339, UTC, milliseconds
	Text    string `json:"text,omitempty"`    // a message's text
	Session string `json:"session,omitempty"` // the author's session, when it had one
	Target  string `json:"target,omitempty"`  // the user acted on (kick, ban, …)
	On      *bool  `json:"on,omitempty"`      // ban, mute, react: set or unset
	Emoji   string `json:"emoji,omitempty"`   // a react's reaction
	Cursor  *int64 `json:"cursor,omitempty"`  // a read's marker

	// A message in a snapshot's events, in its current state: its latest
	// text and Edited, or Deleted without text, and the users' reactions
	// counted per emoji. An edit, delete or react's ID is the message's.
	Edited    bool           `json:"edited,omitempty"`
	Deleted   bool           `json:"deleted,omitempty"`
	Reactions map[string]int `json:"reactions,omitempty"`

	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the named fields and keeps the whole object in Raw.
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event
	if err := json.Unmarshal(b, (*plain)(e)); err != nil {
		return err
	}
	e.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// Entry is an event at its cursor. Cursors increase within a room but are
// not contiguous.
type Entry struct {
	Cursor int64 `json:"cursor"`
	Event  Event `json:"event"`
}

// Member is a user in a room with the number of their sessions there.
type Member struct {
	User     string `json:"user"`
	Sessions int    `json:"sessions"`
}

// Snapshot is the server's answer to a join: the room at Cursor.
type Snapshot struct {
	Room     string   `json:"room"`
	Cursor   int64    `json:"cursor"` // -1 for a room without events
	Epoch    string   `json:"epoch"`  // the log Cursor belongs to
	Members  []Member `json:"members"`
	Messages int64    `json:"messages"` // the room's message count at Cursor
	// Events: without a resume, the last History messages; with one, the
	// events after the resumed cursor, oldest first.
	Events    []Entry `json:"events"`
	Resumed   bool    `json:"resumed"`   // the resume's cursor was honoured
	Truncated bool    `json:"truncated"` // retention or the resume cap cut some events off
}

// Hello is what the server says first on every connection.
type Hello struct {
	User    string `json:"user"`
	Session string `json:"session"`
	Server  string `json:"server"`
	Epoch   string `json:"epoch"`
}

// inFrame is any server frame; which fields are set depends on Op.
type inFrame struct {
	Op      string          `json:"op"`
	Ref     json.RawMessage `json:"ref"`
	Room    string          `json:"room"`
	Cursor  int64           `json:"cursor"`
	Event   Event           `json:"event"`
	Code    string          `json:"code"`
	Message string          `json:"message"`

	User    string `json:"user"`
	Session string `json:"session"`
	Server  string `json:"server"`
	Epoch   string `json:"epoch"`

	Members   []Member `json:"members"`
	Messages  int64    `json:"messages"`
	Events    []Entry  `json:"events"`
	Resumed   bool     `json:"resumed"`
	Truncated bool     `json:"truncated"`

	Count    int64 `json:"count"`    // unread
	Mentions int64 `json:"mentions"` // unread
}

func (f *inFrame) snapshot() *Snapshot {
	return &Snapshot{Room: f.Room, Cursor: f.Cursor, Epoch: f.Epoch, Members: f.Members,
		Messages: f.Messages, Events: f.Events, Resumed: f.Resumed, Truncated: f.Truncated}
}

// ref reads a ref this client sent (a positive integer); 0 for any other.
func (f *inFrame) ref() uint64 {
	n, err := strconv.ParseUint(string(f.Ref), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// Frames this client sends. Pointers and omitempty leave out what the
// request does not set.
type joinFrame struct {
	Op      string `json:"op"`
	Room    string `json:"room"`
	After   *int64 `json:"after,omitempty"`
	Epoch   string `json:"epoch,omitempty"`
	History int    `json:"history"`
	Ref     uint64 `json:"ref"`
}

type roomFrame struct {
	Op     string `json:"op"`
	Room   string `json:"room,omitempty"`
	Text   string `json:"text,omitempty"`
	ID     string `json:"id,omitempty"`
	Emoji  string `json:"emoji,omitempty"`
	On     *bool  `json:"on,omitempty"`
	Cursor *int64 `json:"cursor,omitempty"`
	Ref    uint64 `json:"ref,omitempty"`
}
