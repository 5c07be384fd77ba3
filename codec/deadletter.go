package codec

import (
	"fmt"
)

// DeadLetter is a record of the dead-letter topic: a record of an input topic
// that did not decode or validate, with the reason and where it came from.
// The same facts travel as record headers (HeaderReason and friends).
type DeadLetter struct {
	V         int    `json:"v"`
	Reason    string `json:"reason"`
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Key       string `json:"key"`
	Value     []byte `json:"value"`
	TS        string `json:"ts"`
}

// Header names of dead-letter records.
const (
	HeaderReason    = "chatstate-reason"
	HeaderTopic     = "chatstate-source-topic"
	HeaderPartition = "chatstate-source-partition"
	HeaderOffset    = "chatstate-source-offset"
)

// DeadLetterCodec is the goka codec of *DeadLetter.
type DeadLetterCodec struct{}

// Encode implements goka.Codec.
func (DeadLetterCodec) Encode(v interface{}) ([]byte, error) {
	if d, ok := v.(*DeadLetter); ok {
		return encode(d)
	}
	return nil, fmt.Errorf("codec: DeadLetterCodec cannot encode %T", v)
}

// Decode implements goka.Codec; it returns a *DeadLetter.
func (DeadLetterCodec) Decode(data []byte) (interface{}, error) {
	d := new(DeadLetter)
	if err := decodeStrict(data, d); err != nil {
		return nil, err
	}
	return d, nil
}
