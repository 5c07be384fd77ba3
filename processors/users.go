package processors

import (
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/lovoo/goka"
)

// UsersGraph returns the group graph of the users group: presence records in,
// the users table and dead letters out. partitions is as for RoomsGraph.
func UsersGraph(names kafka.Names, partitions int) *goka.GroupGraph {
	return goka.DefineGroup(names.UsersGroup,
		goka.Input(names.Presence, codec.Raw{}, usersCallback(names, partitions)),
		goka.Persist(newRowCache(codec.UserCodec{}, rowCacheBytes)),
		goka.Output(names.DeadLetter, codec.DeadLetterCodec{}),
	)
}

func usersCallback(names kafka.Names, partitions int) goka.ProcessCallback {
	return func(ctx goka.Context, msg interface{}) {
		raw := codec.AsBytes(msg)
		p, err := codec.DecodePresence(raw)
		if err == nil {
			err = checkKey(ctx, p.User, partitions)
		}
		if err != nil {
			deadLetter(ctx, names, raw, err)
			return
		}
		// Written even when unchanged; see roomsCallback.
		s, _ := ApplyUser(codec.AsUser(ctx.Value()), p)
		ctx.SetValue(s)
	}
}

// NewUsers returns the users processor; see NewRooms.
func NewUsers(cfg kafka.Config, stateDir string, extra ...goka.ProcessorOption) (*goka.Processor, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	opts := append(Options(cfg, stateDir, "users"), extra...)
	return goka.NewProcessor(cfg.Brokers, UsersGraph(cfg.Names, cfg.Partitions), opts...)
}
