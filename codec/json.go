package codec

import (
	"errors"
	"fmt"

	"github.com/go-json-experiment/json"
)

// ErrDecode is wrapped by every decoding error of this package.
var ErrDecode = errors.New("codec: cannot decode")

// versioned is implemented by every record type so that the strict decoder
// can check the version after decoding.
type versioned interface{ version() int }

// The records are read and written with the JSON v2 prototype
// (go-json-experiment/json) rather than encoding/json: it decodes the rows
// several times faster, and it is stricter by default (member names match
// exactly, duplicate names and invalid UTF-8 are refused, and nothing may
// follow the value).

// decodeOptions refuse members the type does not know.
var decodeOptions = json.RejectUnknownMembers(true)

// encodeOptions sort map keys, so that one state always encodes to the same
// bytes, and write nil slices and maps as null, as encoding/json did (a dead
// letter keeps a missing value apart from an empty one).
var encodeOptions = json.JoinOptions(json.Deterministic(true), json.FormatNilSliceAsNull(true), json.FormatNilMapAsNull(true))

// encode renders v as JSON.
func encode(v any) ([]byte, error) { return json.Marshal(v, encodeOptions) }

// unmarshalStrict decodes one JSON value into v, refusing unknown members
// and trailing data. The error wraps ErrDecode.
func unmarshalStrict(data []byte, v any) error {
	if err := json.Unmarshal(data, v, decodeOptions); err != nil {
		return fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return nil
}

// decodeStrict decodes one JSON object into v, refusing unknown fields,
// trailing data and any version other than the current one.
func decodeStrict(data []byte, v versioned) error {
	if err := unmarshalStrict(data, v); err != nil {
		return err
	}
	return checkVersion(v)
}

// checkVersion refuses a decoded record of any version other than the
// current one.
func checkVersion(v versioned) error {
	if got := v.version(); got != Version {
		return fmt.Errorf("%w: version %d, this build reads %d", ErrDecode, got, Version)
	}
	return nil
}

func (e *Event) version() int      { return e.V }
func (s *UserState) version() int  { return s.V }
func (p *Presence) version() int   { return p.V }
func (d *DeadLetter) version() int { return d.V }

// DecodeEvent decodes and validates an event. The error wraps ErrDecode or
// ErrInvalid.
func DecodeEvent(data []byte) (*Event, error) {
	e := new(Event)
	// unmarshalEvent is decodeStrict's unmarshalStrict by hand (see
	// eventdec.go): every event is decoded several times over.
	if err := unmarshalEvent(data, e); err != nil {
		return nil, err
	}
	if err := checkVersion(e); err != nil {
		return nil, err
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// EventCodec is the goka codec of Event values (*Event or Event). Decode
// validates.
type EventCodec struct{}

// Encode implements goka.Codec.
func (EventCodec) Encode(v interface{}) ([]byte, error) {
	switch e := v.(type) {
	case *Event:
		return encode(e)
	case Event:
		return encode(&e)
	}
	return nil, fmt.Errorf("codec: EventCodec cannot encode %T", v)
}

// Decode implements goka.Codec; it returns a *Event.
func (EventCodec) Decode(data []byte) (interface{}, error) {
	e, err := DecodeEvent(data)
	if err != nil {
		return nil, err // a plain nil, not a nil *Event in an interface
	}
	return e, nil
}

// Raw is the goka codec that passes bytes through unchanged. Inputs are read
// raw so that a record that does not decode reaches the callback, which sends
// it to the dead-letter topic instead of stopping the processor.
type Raw struct{}

// Encode implements goka.Codec.
func (Raw) Encode(v interface{}) ([]byte, error) {
	if b, ok := v.([]byte); ok {
		return b, nil
	}
	return nil, fmt.Errorf("codec: Raw cannot encode %T", v)
}

// Decode implements goka.Codec.
func (Raw) Decode(data []byte) (interface{}, error) { return data, nil }

// AsBytes returns the []byte held by a goka value decoded with Raw.
func AsBytes(v interface{}) []byte {
	b, _ := v.([]byte)
	return b
}
