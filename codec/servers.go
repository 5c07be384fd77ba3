package codec

import (
	"encoding/json"
	"fmt"
)

// HeartbeatOp is what a heartbeat record says of a server instance.
type HeartbeatOp string

// The heartbeat operations.
const (
	Beat   HeartbeatOp = "beat"   // the instance is alive at TS
	Retire HeartbeatOp = "retire" // the instance is gone; forget it once it holds no session
)

// Heartbeat is a record of the heartbeats topic, keyed by instance: a running
// server instance says it is alive, or that it (or, written by another
// server, a dead instance) is gone.
type Heartbeat struct {
	V        int         `json:"v"`
	Op       HeartbeatOp `json:"op"`
	Instance string      `json:"instance"`
	Server   string      `json:"server"`
	TS       string      `json:"ts"`
}

// Validate checks the record and returns an error wrapping ErrInvalid.
func (h *Heartbeat) Validate() error {
	if h.Instance == "" || len(h.Instance) > 64 || h.Server == "" || len(h.Server) > 64 {
		return fmt.Errorf("%w: heartbeat needs an instance and a server of 1 to 64 bytes", ErrInvalid)
	}
	if _, err := ParseTime(h.TS); err != nil {
		return fmt.Errorf("%w: ts %q is not RFC 3339 UTC with milliseconds", ErrInvalid, h.TS)
	}
	if h.Op != Beat && h.Op != Retire {
		return fmt.Errorf("%w: unknown heartbeat op %q", ErrInvalid, h.Op)
	}
	return nil
}

// DecodeHeartbeat decodes and validates a heartbeat.
func DecodeHeartbeat(data []byte) (*Heartbeat, error) {
	h := new(Heartbeat)
	if err := decodeStrict(data, h); err != nil {
		return nil, err
	}
	if err := h.Validate(); err != nil {
		return nil, err
	}
	return h, nil
}

// HeartbeatCodec is the goka codec of *Heartbeat.
type HeartbeatCodec struct{}

// Encode implements goka.Codec.
func (HeartbeatCodec) Encode(v interface{}) ([]byte, error) {
	if h, ok := v.(*Heartbeat); ok {
		return json.Marshal(h)
	}
	return nil, fmt.Errorf("codec: HeartbeatCodec cannot encode %T", v)
}

// Decode implements goka.Codec; it returns a *Heartbeat.
func (HeartbeatCodec) Decode(data []byte) (interface{}, error) {
	h, err := DecodeHeartbeat(data)
	if err != nil {
		return nil, err
	}
	return h, nil
}

// Held is one session of one user in one room, held by a server instance.
type Held struct {
	Room    string `json:"room"`
	User    string `json:"user"`
	Session string `json:"session"`
}

// Key names a held session in ServerState.Held: a session may be in several
// rooms.
func (h Held) Key() string { return h.Room + "/" + h.Session }

// ServerState is a row of the servers table, keyed by instance: the sessions
// the instance holds and when it last said it was alive. The expiry of a dead
// instance's sessions reads it.
type ServerState struct {
	V        int             `json:"v"`
	Instance string          `json:"instance"`
	Server   string          `json:"server"`
	Beat     string          `json:"beat"`  // ts of the last heartbeat, "" if none
	Since    string          `json:"since"` // ts of the first record seen
	Retired  bool            `json:"retired"`
	Held     map[string]Held `json:"held"`
}

// NewServerState returns the row of an instance never seen before.
func NewServerState(instance string) *ServerState {
	return &ServerState{V: Version, Instance: instance, Held: map[string]Held{}}
}

// LastSign is the time of the instance's last sign of life: its last beat,
// or, before any, when it was first seen.
func (s *ServerState) LastSign() string { return max(s.Beat, s.Since) }

// ServerCodec is the goka codec of *ServerState.
type ServerCodec struct{}

// Encode implements goka.Codec.
func (ServerCodec) Encode(v interface{}) ([]byte, error) {
	if s, ok := v.(*ServerState); ok {
		return json.Marshal(s)
	}
	return nil, fmt.Errorf("codec: ServerCodec cannot encode %T", v)
}

// Decode implements goka.Codec; it returns a *ServerState.
func (ServerCodec) Decode(data []byte) (interface{}, error) {
	s := new(ServerState)
	if err := decodeStrict(data, s); err != nil {
		return nil, err
	}
	if s.Held == nil {
		s.Held = map[string]Held{}
	}
	return s, nil
}

// AsServer returns the *ServerState held by a goka value, or nil.
func AsServer(v interface{}) *ServerState {
	s, _ := v.(*ServerState)
	return s
}

func (h *Heartbeat) version() int   { return h.V }
func (s *ServerState) version() int { return s.V }
