package server

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
)

// Presence expiry. Every server instance beats every SessionTTL/3. The
// servers table knows, per instance, the sessions it holds (from the join,
// leave and expire events, through the processors) and its last beat, in
// two kinds of rows: the instance row, keyed by the instance id, with the
// beat info only, and up to codec.HeldBuckets bucket rows, keyed
// codec.BucketKey(instance, bucket), each holding the sessions whose id
// falls in its bucket (a bucket row is deleted when it becomes empty). So a
// join or leave rewrites a small row, however many sessions the instance
// holds.
//
// Every round (each sweepEvery at most) a server lists the servers view to
// find the instance rows and, for an instance it is to expire or forget,
// reads that instance's bucket rows with a Get of each bucket key. It expires the sessions of this server
// id's earlier instances at once, alive or not: a server that starts again
// takes over its id. The live instance with the smallest id sweeps: for
// every instance silent for longer than SessionTTL it writes an expire
// event per held session, then a retire record, and the processors remove
// them like leaves. A retired instance's row stays until the sweeper sees
// it hold no session (no bucket row left, nor sessions that an older build
// kept in the instance row itself); then it writes a forget record, which
// deletes the row. The processors take a retired row back to not retired
// when one of its bucket rows is created again (a late join), and pass a
// forget of such a row over, so the row does not vanish while sessions
// remain; bucket rows whose instance row is missing all the same (a forget
// that raced with a late join) are expired by the sweeper once it has seen
// them so for SessionTTL. Writing an expire twice is harmless (the fold
// removes a session once), so two servers that both believe they sweep do
// no damage.

// heartbeat writes one heartbeat record of op for instance.
func (s *Server) heartbeat(ctx context.Context, op codec.HeartbeatOp, instance, server string) error {
	h := &codec.Heartbeat{V: codec.Version, Op: op, Instance: instance, Server: server, TS: codec.FormatTime(time.Now())}
	b, err := codec.HeartbeatCodec{}.Encode(h)
	if err != nil {
		return err
	}
	_, _, err = s.prod.SendMessage(&sarama.ProducerMessage{Topic: string(s.kcfg.Names.Heartbeats), Key: sarama.StringEncoder(instance), Value: sarama.ByteEncoder(b)})
	return err
}

// presenceLoop beats every SessionTTL/3 and, once the servers view is
// ready, sweeps every sweepEvery (at most), until ctx is done.
func (s *Server) presenceLoop(ctx context.Context) {
	beatEvery := s.cfg.SessionTTL / 3
	tick := time.NewTicker(min(beatEvery, sweepEvery))
	defer tick.Stop()
	expired := map[string]time.Time{} // instance/room/session → when written
	orphans := map[string]time.Time{} // instance with bucket rows but no instance row → since when seen so
	var lastBeat time.Time
	for {
		if time.Since(lastBeat) >= beatEvery {
			if err := s.heartbeat(ctx, codec.Beat, s.instance, s.cfg.ServerID); err != nil {
				s.cfg.Logger.Warn("heartbeat not written", "err", err)
			} else {
				lastBeat = time.Now()
			}
		}
		if s.servers.Ready() {
			// Every round, not once: a session an instance opened just
			// before it died may reach the table only later.
			s.sweep(ctx, expired, orphans)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sweepEvery is the longest pause between two sweeps; a sweep lists the
// servers view.
const sweepEvery = time.Second

// sweep lists the servers view once. It expires the sessions of this server
// id's earlier instances and retires them; then, if this instance is the
// sweeper (the live one with the smallest id), it expires the sessions of
// silent instances and retires them, forgets retired instances that hold
// nothing, and expires the sessions of bucket rows whose instance row has
// been missing for longer than SessionTTL.
func (s *Server) sweep(ctx context.Context, expired, orphans map[string]time.Time) {
	rows, err := s.servers.List("", 0, nil)
	if err != nil {
		return
	}
	now := time.Now()
	for k, at := range expired {
		if now.Sub(at) > 2*s.cfg.SessionTTL {
			delete(expired, k)
		}
	}
	deadline := codec.FormatTime(now.Add(-s.cfg.SessionTTL))
	live := []string{s.instance}
	known := map[string]bool{}    // instances with an instance row
	bucketed := map[string]bool{} // instances with a bucket row
	var previous, dead, retired []*codec.ServerState
	for _, r := range rows {
		if r.IsBucket() {
			bucketed[r.Instance] = true
			continue
		}
		known[r.Instance] = true
		if r.Instance == s.instance {
			continue
		}
		isPrevious := r.Server == s.cfg.ServerID
		if isPrevious {
			previous = append(previous, r)
		}
		switch {
		case r.LastSign() < deadline:
			if !isPrevious {
				dead = append(dead, r)
			}
		case r.Retired:
			if !isPrevious {
				retired = append(retired, r)
			}
		default:
			live = append(live, r.Instance)
		}
	}
	for _, r := range previous {
		s.expireInstance(ctx, r, expired)
	}
	sort.Strings(live)
	if live[0] != s.instance {
		clear(orphans)
		return
	}
	for _, r := range dead {
		s.expireInstance(ctx, r, expired)
	}
	for _, r := range retired {
		s.forgetInstance(ctx, r)
	}
	for inst := range orphans {
		if known[inst] || !bucketed[inst] {
			delete(orphans, inst)
		}
	}
	for inst := range bucketed {
		if known[inst] || inst == s.instance {
			continue
		}
		since, seen := orphans[inst]
		if !seen {
			orphans[inst] = now
			continue
		}
		if now.Sub(since) > s.cfg.SessionTTL {
			// No row to retire or forget: the bucket rows go as their
			// sessions' expire events are folded.
			if held, err := s.held(&codec.ServerState{Instance: inst}); err == nil {
				s.expireHeld(ctx, inst, held, expired)
			}
		}
	}
}

// held returns the sessions the instance of row r holds: those of its
// bucket rows, read from the view, and those an older build kept in r.
func (s *Server) held(r *codec.ServerState) ([]codec.Held, error) {
	held := make([]codec.Held, 0, len(r.Held))
	for _, h := range r.Held {
		held = append(held, h)
	}
	for b := range codec.HeldBuckets {
		row, err := s.servers.Get(codec.BucketKey(r.Instance, b))
		if err != nil {
			return nil, err
		}
		if row == nil || !row.IsBucket() {
			continue
		}
		for _, h := range row.Held {
			held = append(held, h)
		}
	}
	return held, nil
}

// expireInstance writes an expire event for every session the instance
// holds that was not expired a moment ago, then retires the instance, or,
// if it was retired and holds nothing, forgets it.
func (s *Server) expireInstance(ctx context.Context, r *codec.ServerState, expired map[string]time.Time) {
	held, err := s.held(r)
	if err != nil || !s.expireHeld(ctx, r.Instance, held, expired) {
		return
	}
	switch {
	case !r.Retired:
		if err := s.heartbeat(ctx, codec.Retire, r.Instance, serverOf(r)); err != nil {
			s.cfg.Logger.Warn("could not retire a server instance", "instance", r.Instance, "err", err)
		}
	case len(held) == 0:
		s.forget(ctx, r)
	}
}

// expireHeld writes an expire event for every session of held that was not
// expired a moment ago, and reports whether that went well.
func (s *Server) expireHeld(ctx context.Context, instance string, held []codec.Held, expired map[string]time.Time) bool {
	var events []codec.Event
	for _, h := range held {
		key := instance + "/" + h.Key()
		if _, done := expired[key]; done {
			continue
		}
		e := codec.NewEvent(codec.Expire, h.Room, h.User)
		e.Session, e.Server = h.Session, instance
		events = append(events, e)
		expired[key] = time.Now()
	}
	if len(events) == 0 {
		return true
	}
	if _, err := s.write(ctx, events...); err != nil {
		s.cfg.Logger.Warn("could not expire sessions", "instance", instance, "sessions", len(events), "err", err)
		for _, h := range held {
			delete(expired, instance+"/"+h.Key())
		}
		return false
	}
	s.cfg.Logger.Info("expired the sessions of a silent server", "instance", instance, "sessions", len(events))
	return true
}

// forgetInstance forgets a retired instance if it holds no session.
func (s *Server) forgetInstance(ctx context.Context, r *codec.ServerState) {
	if held, err := s.held(r); err == nil && len(held) == 0 {
		s.forget(ctx, r)
	}
}

// forget writes the forget record of a retired instance, which deletes its
// row (the processors pass it over if the row is no longer retired).
func (s *Server) forget(ctx context.Context, r *codec.ServerState) {
	if err := s.heartbeat(ctx, codec.Forget, r.Instance, serverOf(r)); err != nil {
		s.cfg.Logger.Warn("could not forget a server instance", "instance", r.Instance, "err", err)
	}
}

// serverOf returns the server id of the instance of row r: the one it beat
// with, or, for an instance that never beat, its id up to the last '/' (a
// heartbeat record needs one).
func serverOf(r *codec.ServerState) string {
	if r.Server != "" {
		return r.Server
	}
	if i := strings.LastIndexByte(r.Instance, '/'); i > 0 {
		return r.Instance[:i]
	}
	return r.Instance
}
