package processors

import (
	"fmt"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/lovoo/goka"
)

// ServersGraph returns the group graph of the servers group. It keeps, per
// server instance, the sessions the instance holds and its last heartbeat,
// so that a live server can expire the sessions of a dead one.
//
// The sessions live in bucket rows, keyed codec.HeldKey(instance, session)
// (the instance, '#' and one of codec.HeldBuckets buckets of the session
// id): each presence record is looped back to its bucket row, which holds
// that bucket's sessions only and is deleted when it becomes empty. A join
// or leave thus rewrites a row of about 1/64 of the instance's sessions,
// not one of all of them. The instance row, keyed by the instance id, keeps
// the heartbeat info (server, first and last sign of life, retired); it is
// deleted only by a forget heartbeat, which a server writes once a retired
// instance has no bucket rows left, and a forget of a row that is not
// retired, or still holds sessions of an older build, is passed over.
//
// When a bucket row is created (and when an add finds its session already
// held, which is a redelivery), the bucket sends its instance row a touch:
// a presence record with op seen, looped back under the instance id, which
// creates the instance row if there is none (an instance whose sessions
// reach the table before its first beat, or whose row was forgotten just
// before a late join) and takes a retired row back to not retired, so that
// its sessions are swept again and a forget in flight is passed over. A
// remove that finds no such session in its bucket row is sent on to the
// instance row too, where rows written by older builds keep sessions in
// Held. Loop records keyed by the instance id with op add or remove are
// also what an older build left in the loop topic; they apply to Held.
//
// Invalid presence records are passed over here (the users group
// dead-letters them); invalid heartbeats go to the dead-letter topic.
func ServersGraph(names kafka.Names, partitions int) *goka.GroupGraph {
	return goka.DefineGroup(names.ServersGroup,
		goka.Input(names.Presence, codec.Raw{}, func(ctx goka.Context, msg interface{}) {
			p, err := codec.DecodePresence(codec.AsBytes(msg))
			if err != nil || p.Server == "" || p.Op == codec.Seen {
				return
			}
			ctx.Loopback(codec.HeldKey(p.Server, p.Session), p)
		}),
		goka.Loop(codec.PresenceCodec{}, func(ctx goka.Context, msg interface{}) {
			p, ok := msg.(*codec.Presence)
			if !ok || p.Server == "" {
				return
			}
			row := codec.AsServer(ctx.Value())
			switch ctx.Key() {
			case codec.HeldKey(p.Server, p.Session):
				if row != nil && !row.IsBucket() {
					return // an instance row under a bucket's key: not ours to change
				}
				s, gone, eff := ApplyHeld(row, p)
				store(ctx, s, gone)
				switch eff {
				case TouchInstance:
					t := *p
					t.Op = codec.Seen
					ctx.Loopback(p.Server, &t)
				case ForwardRemove:
					ctx.Loopback(p.Server, p)
				}
			case p.Server:
				if row != nil && row.IsBucket() {
					return // a bucket row under an instance's key: not ours to change
				}
				store(ctx, ApplyInstanceHeld(row, p), false)
			}
		}),
		goka.Input(names.Heartbeats, codec.Raw{}, func(ctx goka.Context, msg interface{}) {
			raw := codec.AsBytes(msg)
			h, err := codec.DecodeHeartbeat(raw)
			if err == nil {
				err = checkKey(ctx, h.Instance, partitions)
			}
			row := codec.AsServer(ctx.Value())
			if err == nil && row != nil && row.IsBucket() {
				err = fmt.Errorf("%w: instance %q names a bucket row", codec.ErrInvalid, h.Instance)
			}
			if err != nil {
				deadLetter(ctx, names, raw, err)
				return
			}
			s, gone := ApplyHeartbeat(row, h)
			store(ctx, s, gone)
		}),
		// Every join and leave reads and writes its session's bucket row:
		// the row cache spares the decode of what was just encoded.
		goka.Persist(newRowCache(codec.ServerCodec{}, rowCacheBytes)),
		goka.Output(names.DeadLetter, codec.DeadLetterCodec{}),
	)
}

// store writes the row, or deletes it when the fold says it is done with. A
// nil row that is not done with writes nothing.
func store(ctx goka.Context, s *codec.ServerState, gone bool) {
	switch {
	case gone:
		ctx.Delete()
	case s != nil:
		ctx.SetValue(s)
	}
}

// HeldEffect is what a bucket row asks of its instance row after a fold.
type HeldEffect int

// The effects of ApplyHeld.
const (
	// NoEffect: nothing to send.
	NoEffect HeldEffect = iota
	// TouchInstance: the instance row must exist and not be retired; send
	// it the record with op seen.
	TouchInstance
	// ForwardRemove: the bucket row did not hold the removed session; send
	// the remove to the instance row, where an older build may hold it.
	ForwardRemove
)

// ApplyHeld folds a session change into the bucket row of the instance that
// holds the session (s is nil if the bucket has no row). It returns the row,
// whether the row is done with (empty: delete it), and what to send the
// instance row. Adding and removing are idempotent, so a redelivered record
// is harmless; records of one session arrive in the order of its room's
// partition. The cost depends on the bucket's sessions only.
func ApplyHeld(s *codec.ServerState, p *codec.Presence) (*codec.ServerState, bool, HeldEffect) {
	h := codec.Held{Room: p.Room, User: p.User, Session: p.Session}
	switch p.Op {
	case codec.AddSession:
		eff := NoEffect
		if s == nil {
			s = codec.NewBucketState(p.Server, codec.HeldBucket(p.Session))
			eff = TouchInstance
		} else if _, held := s.Held[h.Key()]; held {
			// A redelivery: the touch sent the first time may be lost.
			eff = TouchInstance
		}
		s.Held[h.Key()] = h
		return s, false, eff
	case codec.RemoveSession:
		eff := NoEffect
		if s == nil {
			return nil, true, ForwardRemove
		}
		if _, held := s.Held[h.Key()]; !held {
			eff = ForwardRemove
		}
		delete(s.Held, h.Key())
		return s, len(s.Held) == 0, eff
	}
	return s, false, NoEffect
}

// ApplyInstanceHeld folds a loop record addressed to the instance row (s is
// nil if there is none) and returns the row to write, or nil to write
// nothing. A touch (op seen) creates the row if there is none, first seen
// at the record's ts, and clears Retired. An add or remove applies to the
// sessions an older build kept in the instance row; an add also clears
// Retired, and a remove never creates a row.
func ApplyInstanceHeld(s *codec.ServerState, p *codec.Presence) *codec.ServerState {
	if s == nil {
		if p.Op == codec.RemoveSession {
			return nil
		}
		s = codec.NewServerState(p.Server)
	}
	if s.Since == "" {
		s.Since = p.TS
	}
	h := codec.Held{Room: p.Room, User: p.User, Session: p.Session}
	switch p.Op {
	case codec.Seen:
		s.Retired = false
	case codec.AddSession:
		s.Held[h.Key()] = h
		s.Retired = false
	case codec.RemoveSession:
		delete(s.Held, h.Key())
	}
	return s
}

// ApplyHeartbeat folds a heartbeat into the instance's row, and reports
// whether the row is done with: a forget of a retired row that holds no
// session of an older build, or of no row at all. A beat or retire of an
// instance without a row creates it; a retire keeps the row.
func ApplyHeartbeat(s *codec.ServerState, h *codec.Heartbeat) (*codec.ServerState, bool) {
	if h.Op == codec.Forget {
		if s == nil || (s.Retired && len(s.Held) == 0) {
			return nil, true
		}
		return s, false
	}
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
	return s, false
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
