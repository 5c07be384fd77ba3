package processors

import (
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/lovoo/goka"
)

// ServersGraph returns the group graph of the servers group. It keeps, per
// server instance, the sessions the instance holds (from the presence
// records, looped back by instance) and its last heartbeat, so that a live
// server can expire the sessions of a dead one. Invalid presence records are
// passed over here (the users group dead-letters them); invalid heartbeats go
// to the dead-letter topic.
func ServersGraph(names kafka.Names, partitions int) *goka.GroupGraph {
	return goka.DefineGroup(names.ServersGroup,
		goka.Input(names.Presence, codec.Raw{}, func(ctx goka.Context, msg interface{}) {
			p, err := codec.DecodePresence(codec.AsBytes(msg))
			if err != nil || p.Server == "" || p.Op == codec.Seen {
				return
			}
			ctx.Loopback(p.Server, p)
		}),
		goka.Loop(codec.PresenceCodec{}, func(ctx goka.Context, msg interface{}) {
			p, ok := msg.(*codec.Presence)
			if !ok {
				return
			}
			s, gone := ApplyHeld(codec.AsServer(ctx.Value()), p)
			store(ctx, s, gone)
		}),
		goka.Input(names.Heartbeats, codec.Raw{}, func(ctx goka.Context, msg interface{}) {
			raw := codec.AsBytes(msg)
			h, err := codec.DecodeHeartbeat(raw)
			if err == nil {
				err = checkKey(ctx, h.Instance, partitions)
			}
			if err != nil {
				deadLetter(ctx, names, raw, err)
				return
			}
			s, gone := ApplyHeartbeat(codec.AsServer(ctx.Value()), h)
			store(ctx, s, gone)
		}),
		goka.Persist(codec.ServerCodec{}),
		goka.Output(names.DeadLetter, codec.DeadLetterCodec{}),
	)
}

// store writes the row, or deletes it when the fold says it is done with.
func store(ctx goka.Context, s *codec.ServerState, gone bool) {
	if gone {
		ctx.Delete()
		return
	}
	ctx.SetValue(s)
}

// ApplyHeld folds a session change into the row of the instance that holds
// the session, and reports whether the row is done with (retired and empty).
// Adding and removing are idempotent, so a redelivered record is harmless;
// records of one session arrive in the order of its room's partition.
func ApplyHeld(s *codec.ServerState, p *codec.Presence) (*codec.ServerState, bool) {
	if s == nil {
		s = codec.NewServerState(p.Server)
	}
	if s.Since == "" {
		s.Since = p.TS
	}
	h := codec.Held{Room: p.Room, User: p.User, Session: p.Session}
	switch p.Op {
	case codec.AddSession:
		s.Held[h.Key()] = h
	case codec.RemoveSession:
		delete(s.Held, h.Key())
	}
	return s, s.Retired && len(s.Held) == 0
}

// ApplyHeartbeat folds a heartbeat into the instance's row, and reports
// whether the row is done with (retired and empty).
func ApplyHeartbeat(s *codec.ServerState, h *codec.Heartbeat) (*codec.ServerState, bool) {
	if s == nil {
		s = codec.NewServerState(h.Instance)
	}
	s.Server = h.Server
	if s.Since == "" {
		s.Since = h.TS
	}
	switch h.Op {
	case codec.Beat:
		s.Beat = max(s.Beat, h.TS)
	case codec.Retire:
		s.Retired = true
	}
	return s, s.Retired && len(s.Held) == 0
}

// NewServers returns the servers processor; see NewRooms.
func NewServers(cfg kafka.Config, stateDir string, extra ...goka.ProcessorOption) (*goka.Processor, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	opts := append(Options(cfg, stateDir, "servers"), extra...)
	return goka.NewProcessor(cfg.Brokers, ServersGraph(cfg.Names, cfg.Partitions), opts...)
}
