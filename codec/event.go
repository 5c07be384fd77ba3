package codec

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// Version is the format version written by this build in every record.
const Version = 1

// TimeFormat is the layout of every timestamp: RFC 3339 with milliseconds, UTC.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime renders t in TimeFormat, in UTC.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime parses a timestamp in TimeFormat. Only the canonical,
// fixed-width form is accepted (time.Parse alone takes "T9:00" for "T09:00"),
// because timestamps are compared as text.
func ParseTime(s string) (time.Time, error) {
	if t, ok := parseCanonicalTime(s); ok {
		return t, nil
	}
	return parseTimeStrict(s)
}

// parseTimeStrict is ParseTime without its fast path, the authority on what
// it accepts: time.Parse, then the check that s is the canonical form.
func parseTimeStrict(s string) (time.Time, error) {
	t, err := time.Parse(TimeFormat, s)
	if err == nil && FormatTime(t) != s {
		err = fmt.Errorf("%q is not in the canonical form %s", s, TimeFormat)
	}
	return t, err
}

// parseCanonicalTime is ParseTime's fast path, since every event decoded
// is validated and time.Parse was a visible part of that: it accepts, with
// the same time, only what ParseTime accepts, that is the fixed-width form
// with every field in range (time.Parse takes years 0000 to 9999, and no
// 24:00 or leap second). Anything else goes to time.Parse, the authority,
// and is refused there or (should this check be too strict) accepted.
func parseCanonicalTime(s string) (time.Time, bool) {
	const mask = "0000-00-00T00:00:00.000Z" // TimeFormat with a 0 for each digit
	if len(s) != len(mask) {
		return time.Time{}, false
	}
	for i := range len(mask) {
		if c := s[i]; mask[i] == '0' && (c < '0' || c > '9') || mask[i] != '0' && c != mask[i] {
			return time.Time{}, false
		}
	}
	num := func(from, to int) (n int) {
		for _, c := range []byte(s[from:to]) {
			n = 10*n + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), time.Month(num(5, 7)), num(8, 10)
	hour, minute, sec, milli := num(11, 13), num(14, 16), num(17, 19), num(20, 23)
	if month < time.January || month > time.December || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, month, day, hour, minute, sec, milli*int(time.Millisecond), time.UTC)
	if _, m, d := t.Date(); m != month || d != day { // past the end of the month: normalized
		return time.Time{}, false
	}
	return t, true
}

// NewID returns a random identifier of 16 hex digits, for events and sessions.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// EventType is the kind of a chat event.
type EventType string

// The event types of the events topic.
const (
	Join    EventType = "join"    // a session entered a room
	Leave   EventType = "leave"   // a session left a room
	Message EventType = "message" // a user posted a text
	Expire  EventType = "expire"  // a session timed out without a goodbye
	Read    EventType = "read"    // a user moved their read marker to Cursor
	Edit    EventType = "edit"    // the author replaced the text of message ID
	Delete  EventType = "delete"  // the author deleted message ID
	React   EventType = "react"   // a user added (On) or removed a reaction Emoji to message ID

	Settings EventType = "settings" // the owner set the room's Private flag or Topic (each optional)
	Role     EventType = "role"     // the owner made Target a moderator or a member again (Role)
	Invite   EventType = "invite"   // User invited Target to the room
	Kick     EventType = "kick"     // User removed every session of Target from the room
	Ban      EventType = "ban"      // User banned (On) or unbanned Target
	Mute     EventType = "mute"     // User muted (On) or unmuted Target
)

// The roles of a role event.
const (
	RoleModerator = "moderator"
	RoleMember    = "member"
)

// MaxTopicBytes bounds a room's topic.
const MaxTopicBytes = 256

// Rule reports whether t is an event of the room's rules (settings, role,
// invite, kick, ban, mute): the acting user is User, the one acted on Target.
func (t EventType) Rule() bool {
	switch t {
	case Settings, Role, Invite, Kick, Ban, Mute:
		return true
	}
	return false
}

// Lifecycle reports whether t changes a message that an earlier event
// posted (edit, delete, react): such an event's ID is that message's id.
func (t EventType) Lifecycle() bool { return t == Edit || t == Delete || t == React }

// Event is one record of the events topic, keyed by room. Its Kafka offset is
// its cursor in the room. Session and Server name the connection that caused a
// join, leave or expire; a message posted over HTTP has no session.
//
// The ID of a message, join, leave, expire or read is the event's own, fresh
// one; that of an edit, delete or react is the id of the message it changes,
// as the protocol names it. Cursor is a read's marker, and on an edit or
// delete the cursor of the message it changes, as the server that wrote it
// found the message (0, absent, when not known: written by an older build,
// or a message at offset 0), which is how the rooms' fold finds the
// message's mentions among the room's latest messages. Emoji and On are a
// react's reaction.
//
// Target is the user a rule event acts on (role, invite, kick, ban, mute),
// and on a join the other user of a direct room (see DMRoom). Role is a role
// event's role; On also tells a ban or mute from its undoing. Private and
// Topic are a settings event's: nil leaves the setting as it is, so that a
// settings event may clear the topic (an empty one) or make the room public
// (false) without touching the other.
type Event struct {
	V       int       `json:"v"`
	ID      string    `json:"id"`
	Type    EventType `json:"type"`
	Room    string    `json:"room"`
	User    string    `json:"user"`
	TS      string    `json:"ts"`
	Text    string    `json:"text,omitempty"`
	Session string    `json:"session,omitempty"`
	Server  string    `json:"server,omitempty"`
	Emoji   string    `json:"emoji,omitempty"`
	Cursor  int64     `json:"cursor,omitzero"`
	On      bool      `json:"on,omitzero"`
	Target  string    `json:"target,omitempty"`
	Role    string    `json:"role,omitempty"`
	Private *bool     `json:"private,omitzero"`
	Topic   *string   `json:"topic,omitzero"`
	// From, Marked and MarkedMentions are a read's count of what it marks
	// read, when its marker moves to a message older than the room row's
	// latest (which a fold recounts from): from the marker From, Marked
	// messages of others up to Cursor, MarkedMentions of them mentioning
	// the reader, as the server that wrote it counted them in the log.
	From           int64 `json:"from,omitzero"`
	Marked         int64 `json:"marked,omitzero"`
	MarkedMentions int64 `json:"marked_mentions,omitzero"`
}

// Equal reports whether e and o are the same event: the same fields, and
// the same settings behind Private and Topic.
func (e *Event) Equal(o *Event) bool {
	a, b := *e, *o
	if !samePtr(a.Private, b.Private) || !samePtr(a.Topic, b.Topic) {
		return false
	}
	a.Private, a.Topic, b.Private, b.Topic = nil, nil, nil, nil
	return a == b
}

// samePtr reports whether a and b are both nil or point to equal values.
func samePtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// MaxEmojiBytes bounds a reaction's emoji.
const MaxEmojiBytes = 32

// NewEvent returns an event of the current version with a fresh id and the
// current time. It does not validate.
func NewEvent(typ EventType, room, user string) Event {
	return Event{V: Version, ID: NewID(), Type: typ, Room: room, User: user, TS: FormatTime(time.Now())}
}

// Validate checks every rule of the format and returns an error wrapping
// ErrInvalid for the first one broken.
func (e *Event) Validate() error {
	if e.V != Version {
		return fmt.Errorf("%w: event version %d, want %d", ErrInvalid, e.V, Version)
	}
	if e.ID == "" || len(e.ID) > 64 {
		return fmt.Errorf("%w: event id must be 1 to 64 bytes", ErrInvalid)
	}
	if err := CheckName("room", e.Room); err != nil {
		return err
	}
	if err := CheckName("user", e.User); err != nil {
		return err
	}
	if _, err := ParseTime(e.TS); err != nil {
		return fmt.Errorf("%w: ts %q is not RFC 3339 UTC with milliseconds", ErrInvalid, e.TS)
	}
	switch e.Type {
	case Message, Edit:
		if err := checkText(e.Text); err != nil {
			return err
		}
	case Join, Leave, Expire:
		if err := e.checkDM(); err != nil {
			return err
		}
		if e.Text != "" {
			return fmt.Errorf("%w: a %s event has no text", ErrInvalid, e.Type)
		}
		if e.Session == "" || len(e.Session) > 64 {
			return fmt.Errorf("%w: a %s event needs a session of 1 to 64 bytes", ErrInvalid, e.Type)
		}
	case Read:
		if e.Text != "" {
			return fmt.Errorf("%w: a read event has no text", ErrInvalid)
		}
		if e.Cursor < 0 {
			return fmt.Errorf("%w: a read event's cursor must be 0 or more", ErrInvalid)
		}
	case Delete:
		if e.Text != "" {
			return fmt.Errorf("%w: a delete event has no text", ErrInvalid)
		}
	case React:
		if e.Text != "" {
			return fmt.Errorf("%w: a react event has no text", ErrInvalid)
		}
		if err := CheckEmoji(e.Emoji); err != nil {
			return err
		}
	case Settings, Role, Invite, Kick, Ban, Mute:
		if err := e.validateRule(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: unknown event type %q", ErrInvalid, e.Type)
	}
	if e.Type != Read && e.Type != Edit && e.Type != Delete && e.Cursor != 0 {
		return fmt.Errorf("%w: only a read, edit or delete event has a cursor", ErrInvalid)
	}
	if e.Type != Read && (e.From != 0 || e.Marked != 0 || e.MarkedMentions != 0) {
		return fmt.Errorf("%w: only a read event has from, marked and marked_mentions", ErrInvalid)
	}
	if e.From < 0 || e.Marked < 0 || e.MarkedMentions < 0 || e.MarkedMentions > e.Marked || e.Type == Read && e.Marked > 0 && e.From >= e.Cursor {
		return fmt.Errorf("%w: a read's from must be below its cursor, and marked_mentions at most marked, none negative", ErrInvalid)
	}
	if (e.Type == Edit || e.Type == Delete) && e.Cursor < 0 {
		return fmt.Errorf("%w: the message cursor of a %s event must be 0 or more", ErrInvalid, e.Type)
	}
	if e.Type != React && e.Emoji != "" {
		return fmt.Errorf("%w: only a react event has an emoji", ErrInvalid)
	}
	if e.On && e.Type != React && e.Type != Ban && e.Type != Mute {
		return fmt.Errorf("%w: only a react, ban or mute event has on", ErrInvalid)
	}
	if e.Target != "" && !e.Type.Rule() && e.Type != Join {
		return fmt.Errorf("%w: a %s event has no target", ErrInvalid, e.Type)
	}
	if e.Role != "" && e.Type != Role {
		return fmt.Errorf("%w: only a role event has a role", ErrInvalid)
	}
	if (e.Private != nil || e.Topic != nil) && e.Type != Settings {
		return fmt.Errorf("%w: only a settings event has private and topic", ErrInvalid)
	}
	if len(e.Session) > 64 || len(e.Server) > 64 {
		return fmt.Errorf("%w: session and server are at most 64 bytes", ErrInvalid)
	}
	return nil
}

// checkText checks the text of a message or an edit: valid, and as
// NormalizeText leaves it (trimmed).
func checkText(text string) error {
	t, err := NormalizeText(text)
	if err != nil {
		return err
	}
	if t != text {
		return fmt.Errorf("%w: text has surrounding white space", ErrInvalid)
	}
	return nil
}

// Public is the form of an event shown to clients: the stored event less the
// format version and the server that wrote it. Edited, Deleted and
// Reactions are a message's current state where a reader shows it (see
// MessageState); a deleted message has no Text.
type Public struct {
	ID        string         `json:"id"`
	Type      EventType      `json:"type"`
	Room      string         `json:"room"`
	User      string         `json:"user"`
	TS        string         `json:"ts"`
	Text      string         `json:"text,omitempty"`
	Session   string         `json:"session,omitempty"`
	Cursor    *int64         `json:"cursor,omitempty"`
	Emoji     string         `json:"emoji,omitempty"`
	On        *bool          `json:"on,omitempty"`
	Edited    bool           `json:"edited,omitempty"`
	Deleted   bool           `json:"deleted,omitempty"`
	Reactions map[string]int `json:"reactions,omitempty"`
	Target    string         `json:"target,omitempty"`
	Role      string         `json:"role,omitempty"`
	Private   *bool          `json:"private,omitempty"`
	Topic     *string        `json:"topic,omitzero"`
}

// Public returns the client-facing form of e.
func (e *Event) Public() Public {
	p := Public{ID: e.ID, Type: e.Type, Room: e.Room, User: e.User, TS: e.TS, Text: e.Text, Session: e.Session, Emoji: e.Emoji,
		Target: e.Target, Role: e.Role, Private: e.Private, Topic: e.Topic}
	switch e.Type {
	case Read:
		c := e.Cursor
		p.Cursor = &c
	case React, Ban, Mute:
		on := e.On
		p.On = &on
	}
	return p
}
