package processors

import (
	"strconv"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/lovoo/goka"
)

// deadLetter sends the current input record to the dead-letter topic with the
// reason, its source as headers and in the body, and leaves every table alone.
func deadLetter(ctx goka.Context, names kafka.Names, raw []byte, reason error) {
	d := &codec.DeadLetter{
		V:         codec.Version,
		Reason:    reason.Error(),
		Topic:     string(ctx.Topic()),
		Partition: ctx.Partition(),
		Offset:    ctx.Offset(),
		Key:       ctx.Key(),
		Value:     raw,
		TS:        codec.FormatTime(ctx.Timestamp()),
	}
	ctx.Emit(names.DeadLetter, ctx.Key(), d, goka.WithCtxEmitHeaders(goka.Headers{
		codec.HeaderReason:    []byte(d.Reason),
		codec.HeaderTopic:     []byte(d.Topic),
		codec.HeaderPartition: []byte(strconv.Itoa(int(d.Partition))),
		codec.HeaderOffset:    []byte(strconv.FormatInt(d.Offset, 10)),
	}))
}
