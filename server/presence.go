package server

import (
	"context"
	"sort"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
)

// Presence expiry. Every server instance beats every SessionTTL/3. The
// servers table knows, per instance, the sessions it holds (from the join,
// leave and expire events, through the processors) and its last beat. The
// live instance with the smallest id sweeps: for every instance silent for
// longer than SessionTTL it writes an expire event per held session, then a
// retire record, and the processors remove them like leaves. Writing an
// expire twice is harmless (the fold removes a session once), so two servers
// that both believe they sweep do no damage. A server that starts again
// under the same server id expires its previous instances' sessions at once.

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
			// Every round, not once: a session the previous instance
			// opened just before it died may reach the table only later.
			s.expirePrevious(ctx, expired)
			s.sweep(ctx, expired)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sweepEvery is the longest pause between two sweeps; a sweep reads the
// servers view, which holds one row per server instance.
const sweepEvery = time.Second

// expirePrevious expires the sessions of this server id's earlier
// instances, alive or not: a server that starts again takes over its id.
func (s *Server) expirePrevious(ctx context.Context, expired map[string]time.Time) {
	rows, err := s.servers.List("", 0, func(r *codec.ServerState) bool {
		return r.Server == s.cfg.ServerID && r.Instance != s.instance
	})
	if err != nil {
		return
	}
	for _, r := range rows {
		s.expireInstance(ctx, r, expired)
	}
}

// sweep expires the sessions of silent instances, if this instance is the
// sweeper: the live one with the smallest id.
func (s *Server) sweep(ctx context.Context, expired map[string]time.Time) {
	rows, err := s.servers.List("", 0, nil)
	if err != nil {
		return
	}
	now := time.Now()
	deadline := codec.FormatTime(now.Add(-s.cfg.SessionTTL))
	live := []string{s.instance}
	var dead []*codec.ServerState
	for _, r := range rows {
		switch {
		case r.Instance == s.instance:
		case r.LastSign() < deadline:
			dead = append(dead, r)
		case !r.Retired:
			live = append(live, r.Instance)
		}
	}
	sort.Strings(live)
	if live[0] != s.instance {
		return
	}
	for _, r := range dead {
		s.expireInstance(ctx, r, expired)
	}
	for k, at := range expired {
		if now.Sub(at) > 2*s.cfg.SessionTTL {
			delete(expired, k)
		}
	}
}

// expireInstance writes an expire event for every session the instance
// holds that was not expired a moment ago, then retires the instance.
func (s *Server) expireInstance(ctx context.Context, r *codec.ServerState, expired map[string]time.Time) {
	var events []codec.Event
	for k, h := range r.Held {
		key := r.Instance + "/" + k
		if _, done := expired[key]; done {
			continue
		}
		e := codec.NewEvent(codec.Expire, h.Room, h.User)
		e.Session, e.Server = h.Session, r.Instance
		events = append(events, e)
		expired[key] = time.Now()
	}
	if len(events) > 0 {
		if _, err := s.write(ctx, events...); err != nil {
			s.cfg.Logger.Warn("could not expire sessions", "instance", r.Instance, "sessions", len(events), "err", err)
			for k := range r.Held {
				delete(expired, r.Instance+"/"+k)
			}
			return
		}
		s.cfg.Logger.Info("expired the sessions of a silent server", "instance", r.Instance, "sessions", len(events))
	}
	if !r.Retired {
		if err := s.heartbeat(ctx, codec.Retire, r.Instance, r.Server); err != nil {
			s.cfg.Logger.Warn("could not retire a server instance", "instance", r.Instance, "err", err)
		}
	}
}
