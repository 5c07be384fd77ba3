package codec

import (
	"fmt"
)

// PresenceOp is what a presence record does to a user's row.
type PresenceOp string

// The presence operations.
const (
	AddSession    PresenceOp = "add"    // session S of user U entered room R
	RemoveSession PresenceOp = "remove" // session S of user U left or expired in room R
	Seen          PresenceOp = "seen"   // user U was active in room R
)

// Presence is a record of the presence topic, keyed by user, derived by the
// rooms processor from one event. It is self-contained and carries its source
// room and cursor, so that the users processor applies each at most once and
// the rooms processor may emit it again after a crash.
type Presence struct {
	V       int        `json:"v"`
	Op      PresenceOp `json:"op"`
	User    string     `json:"user"`
	Room    string     `json:"room"`
	Session string     `json:"session,omitempty"`
	Server  string     `json:"server,omitempty"`
	Source  int64      `json:"source"`
	TS      string     `json:"ts"`
}

// Validate checks the record and returns an error wrapping ErrInvalid.
func (p *Presence) Validate() error {
	if err := CheckName("user", p.User); err != nil {
		return err
	}
	if err := CheckName("room", p.Room); err != nil {
		return err
	}
	if _, err := ParseTime(p.TS); err != nil {
		return fmt.Errorf("%w: ts %q is not RFC 3339 UTC with milliseconds", ErrInvalid, p.TS)
	}
	if len(p.Session) > 64 || len(p.Server) > 64 {
		return fmt.Errorf("%w: session and server are at most 64 bytes", ErrInvalid)
	}
	if p.Source < 0 {
		return fmt.Errorf("%w: negative source cursor", ErrInvalid)
	}
	switch p.Op {
	case AddSession, RemoveSession:
		if p.Session == "" {
			return fmt.Errorf("%w: presence %s needs a session", ErrInvalid, p.Op)
		}
	case Seen:
	default:
		return fmt.Errorf("%w: unknown presence op %q", ErrInvalid, p.Op)
	}
	return nil
}

// DecodePresence decodes and validates a presence record.
func DecodePresence(data []byte) (*Presence, error) {
	p := new(Presence)
	if err := decodeStrict(data, p); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// PresenceCodec is the goka codec of *Presence.
type PresenceCodec struct{}

// Encode implements goka.Codec.
func (PresenceCodec) Encode(v interface{}) ([]byte, error) {
	if p, ok := v.(*Presence); ok {
		return encodePresence(p)
	}
	return nil, fmt.Errorf("codec: PresenceCodec cannot encode %T", v)
}

// Decode implements goka.Codec; it returns a *Presence.
func (PresenceCodec) Decode(data []byte) (interface{}, error) {
	p, err := DecodePresence(data)
	if err != nil {
		return nil, err // a plain nil, not a nil *Presence in an interface
	}
	return p, nil
}
