package codec

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
)

// HeartbeatOp is what a heartbeat record says of a server instance.
type HeartbeatOp string

// The heartbeat operations.
const (
	Beat   HeartbeatOp = "beat"   // the instance is alive at TS
	Retire HeartbeatOp = "retire" // the instance is gone (its row stays until forgotten)
	Forget HeartbeatOp = "forget" // the retired instance holds no session: delete its row
)

// Heartbeat is a record of the heartbeats topic, keyed by instance: a running
// server instance says it is alive, or that it (or, written by another
// server, a dead instance) is gone, or a server says that a retired instance
// holds nothing any more and its row may go.
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
	if h.Op != Beat && h.Op != Retire && h.Op != Forget {
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

// HeldBuckets is the number of bucket rows over which the servers table
// spreads the sessions of one instance.
const HeldBuckets = 64

// HeldBucket returns the bucket of a session: FNV-1a of its id, modulo
// HeldBuckets. A session in several rooms has one bucket.
func HeldBucket(session string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(session))
	return int(h.Sum32() % HeldBuckets)
}

// BucketKey returns the servers table key of the bucket row of instance:
// the instance, '#' and the bucket in two digits.
func BucketKey(instance string, bucket int) string {
	return fmt.Sprintf("%s#%02d", instance, bucket)
}

// HeldKey returns the servers table key of the bucket row that holds
// session for instance.
func HeldKey(instance, session string) string {
	return BucketKey(instance, HeldBucket(session))
}

// ServerState is a row of the servers table. The table holds two kinds of
// rows per server instance:
//
//   - the instance row, keyed by the instance id: Server, Beat, Since and
//     Retired, when the instance last said it was alive and whether it is
//     gone. Bucket is empty and Held too (rows written by builds before the
//     bucket rows may still hold sessions in Held; they are expired like the
//     others);
//   - up to HeldBuckets bucket rows, keyed BucketKey(instance, bucket):
//     Instance, Bucket and the sessions of that bucket in Held, nothing else.
//     A bucket row is deleted when it becomes empty.
//
// A join or leave rewrites one bucket row, about 1/HeldBuckets of the
// instance's sessions, not a row of all of them. The expiry of a dead
// instance's sessions reads both kinds. Bucket is new with the bucket rows:
// an older build, decoding strictly, refuses a bucket row rather than
// taking it for an instance that never beat.
type ServerState struct {
	V        int             `json:"v"`
	Instance string          `json:"instance"`
	Bucket   string          `json:"bucket,omitempty"` // bucket rows only: the bucket, two digits
	Server   string          `json:"server"`
	Beat     string          `json:"beat"`  // ts of the last heartbeat, "" if none
	Since    string          `json:"since"` // ts of the first record seen
	Retired  bool            `json:"retired"`
	Held     map[string]Held `json:"held"`
}

// NewServerState returns the instance row of an instance never seen before.
func NewServerState(instance string) *ServerState {
	return &ServerState{V: Version, Instance: instance, Held: map[string]Held{}}
}

// NewBucketState returns an empty bucket row of instance.
func NewBucketState(instance string, bucket int) *ServerState {
	return &ServerState{V: Version, Instance: instance, Bucket: fmt.Sprintf("%02d", bucket), Held: map[string]Held{}}
}

// parseBucket reads a bucket written by NewBucketState.
func parseBucket(b string) (int, bool) {
	if len(b) != 2 || b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	n := int(b[0]-'0')*10 + int(b[1]-'0')
	return n, n < HeldBuckets
}

// IsBucket reports whether the row is a bucket row rather than an instance
// row.
func (s *ServerState) IsBucket() bool { return s.Bucket != "" }

// LastSign is the time of the instance's last sign of life: its last beat,
// or, before any, when it was first seen.
func (s *ServerState) LastSign() string { return max(s.Beat, s.Since) }

// ServerCodec is the goka codec of *ServerState.
type ServerCodec struct{}

// Encode implements goka.Codec. Rows are written as encode writes them
// (json v2, as the other tables): rows written by json.Marshal of
// encoding/json, as builds before did, differ only in how they escape
// characters that names never hold, and decode the same.
func (ServerCodec) Encode(v interface{}) ([]byte, error) {
	if s, ok := v.(*ServerState); ok {
		return encodeServer(s)
	}
	return nil, fmt.Errorf("codec: ServerCodec cannot encode %T", v)
}

// Decode implements goka.Codec; it returns a *ServerState.
func (ServerCodec) Decode(data []byte) (interface{}, error) {
	s := new(ServerState)
	if err := decodeStrict(data, s); err != nil {
		return nil, err
	}
	if s.Bucket != "" {
		if _, ok := parseBucket(s.Bucket); !ok {
			return nil, fmt.Errorf("%w: bucket %q is not two digits below %d", ErrDecode, s.Bucket, HeldBuckets)
		}
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
