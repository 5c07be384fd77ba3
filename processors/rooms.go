package processors

import (
	"fmt"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/lovoo/goka"
)

// RoomsGraph returns the group graph of the rooms group: the events topic in,
// the rooms table, presence records and dead letters out. partitions is the
// partition count of the events topic, used to refuse a record that another
// producer wrote to a partition its room does not live in; 0 skips that check.
func RoomsGraph(names kafka.Names, partitions int) *goka.GroupGraph {
	return goka.DefineGroup(names.RoomsGroup,
		goka.Input(names.Events, codec.Raw{}, roomsCallback(names, partitions)),
		goka.Persist(newRowCache(codec.NewRoomTableCodec(roomKeysMax), rowCacheBytes)),
		goka.Output(names.Presence, codec.PresenceCodec{}),
		goka.Output(names.DeadLetter, codec.DeadLetterCodec{}),
	)
}

// rowCacheBytes bounds the encoded rows each group's row cache keeps: about
// 13,000 rows of a room of ten with a full latest window, and a few times
// that in memory decoded.
const rowCacheBytes = 8 << 20

// roomKeysMax bounds the sorted users the rooms table's codec remembers
// (codec.RoomTableCodec): about 13,000 rooms of ten, as many as the row
// cache holds rows, in about 9 MB with the names they keep alive (a large
// room's index of readers counts too).
const roomKeysMax = 1 << 18

func roomsCallback(names kafka.Names, partitions int) goka.ProcessCallback {
	return func(ctx goka.Context, msg interface{}) {
		raw := codec.AsBytes(msg)
		e, err := codec.DecodeEvent(raw)
		if err == nil {
			err = checkKey(ctx, e.Room, partitions)
		}
		if err != nil {
			deadLetter(ctx, names, raw, err)
			return
		}
		s, effects, _, refused := Apply(codec.AsRoom(ctx.Value()), e, ctx.Offset())
		if refused != nil {
			// The row's cursor moved past the record, nothing else: the
			// record goes to the dead letters with the rule it breaks.
			deadLetter(ctx, names, raw, refused)
		}
		// The row is written even when a redelivered event left it as it
		// was: goka updates its local copy before Kafka acknowledges the
		// table write, so after a crash the local copy can be ahead of the
		// table topic, and only writing it again brings the topic (and every
		// view) up to it.
		ctx.SetValue(s)
		for i := range effects {
			ctx.Emit(names.Presence, effects[i].User, &effects[i])
		}
	}
}

// checkKey refuses a record whose key is not its subject, or that sits in a
// partition other than the one its key hashes to: its row would live where
// no view looks for it.
func checkKey(ctx goka.Context, subject string, partitions int) error {
	if ctx.Key() != subject {
		return fmt.Errorf("%w: key %q differs from %q named in the record", codec.ErrInvalid, ctx.Key(), subject)
	}
	if partitions > 0 {
		if want := kafka.Partition(subject, partitions); want != ctx.Partition() {
			return fmt.Errorf("%w: key %q belongs in partition %d, found in %d", codec.ErrInvalid, subject, want, ctx.Partition())
		}
	}
	return nil
}

// NewRooms returns the rooms processor for cfg, keeping its table partitions
// under stateDir. extra options come last and override (goka.WithTester in
// tests). Run it with Run(ctx); it stops when ctx is done.
func NewRooms(cfg kafka.Config, stateDir string, extra ...goka.ProcessorOption) (*goka.Processor, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	opts := append(Options(cfg, stateDir, "rooms"), extra...)
	return goka.NewProcessor(cfg.Brokers, RoomsGraph(cfg.Names, cfg.Partitions), opts...)
}
