package server

import (
	"context"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/presence"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Presence expiry. Every server instance beats every SessionTTL/3. The
// servers table knows, per instance, the sessions it holds (from the join,
// leave and expire events, through the processors) and its last beat, in
// two kinds of rows: the instance row, keyed by the instance id, with the
// beat info only, and up to codec.HeldBuckets bucket rows, keyed
// codec.BucketKey(instance, bucket), each holding the sessions whose id
// falls in its bucket.
//
// Every sweepEvery a server lists the servers view and asks the presence
// package what to do. What a plan expires is decided from the table only
// once the table was seen to be current (settle): a table that is behind
// (a servers group restarting or lagging, Kafka away) makes a sweeper wait,
// never expire. So a session goes only on evidence: its leave, or its
// server's silence as seen in a current table. Writing an expire twice is
// harmless (the fold removes a session once).

// heartbeat writes one heartbeat record of op for instance.
func (s *Server) heartbeat(ctx context.Context, op codec.HeartbeatOp, instance, server string) error {
	h := &codec.Heartbeat{V: codec.Version, Op: op, Instance: instance, Server: server, TS: codec.FormatTime(time.Now())}
	b, err := codec.HeartbeatCodec{}.Encode(h)
	if err != nil {
		return err
	}
	return s.prod.send(ctx, &kgo.Record{Topic: string(s.kcfg.Names.Heartbeats), Key: []byte(instance), Value: b})
}

// beatLoop beats every SessionTTL/3 until ctx is done. It runs apart from
// the sweeps, which may wait for the table to settle: a sweeper that waits
// must not fall silent itself.
func (s *Server) beatLoop(ctx context.Context) {
	tick := time.NewTicker(s.cfg.SessionTTL / 3)
	defer tick.Stop()
	for {
		// A beat late by more than its period is worth nothing: the next
		// one replaces it.
		bctx, cancel := context.WithTimeout(ctx, s.cfg.SessionTTL/3)
		if err := s.heartbeat(bctx, codec.Beat, s.instance, s.cfg.ServerID); err != nil {
			s.cfg.Logger.Warn("heartbeat not written", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sweepLoop sweeps every sweepEvery, once the servers view is ready, until
// ctx is done.
func (s *Server) sweepLoop(ctx context.Context) {
	tick := time.NewTicker(sweepEvery)
	defer tick.Stop()
	var orphans map[string]time.Time
	var warned time.Time
	for {
		if s.servers.Ready() {
			// Every round, not once: a session an instance opened just
			// before it died may reach the table only later.
			orphans = s.sweep(ctx, orphans, &warned)
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

// settleTimeout bounds how long a sweep waits for the table to settle.
func (s *Server) settleTimeout() time.Duration { return max(s.cfg.SessionTTL, 10*time.Second) }

// sweep makes a plan from the servers view and carries it out. A plan that
// would expire something is made again from a settled table, as of the
// moment the settling began; if the table does not settle in time, nothing
// is expired this round (logged once per SessionTTL, in *warned). It returns
// the orphan bookkeeping for the next round.
func (s *Server) sweep(ctx context.Context, orphans map[string]time.Time, warned *time.Time) map[string]time.Time {
	in, err := s.planInput(time.Now(), false, orphans)
	if err != nil {
		return orphans
	}
	plan := presence.Make(in)
	if plan.NeedSettled {
		start := time.Now()
		sctx, cancel := context.WithTimeout(ctx, s.settleTimeout())
		err := s.settle(sctx, true)
		cancel()
		if err != nil {
			if ctx.Err() == nil && time.Since(*warned) > s.cfg.SessionTTL {
				*warned = time.Now()
				s.cfg.Logger.Warn("expiring nothing: the servers table is not current", "reason", err)
			}
			return plan.Orphans
		}
		if in, err = s.planInput(start, true, plan.Orphans); err != nil {
			return plan.Orphans
		}
		plan = presence.Make(in)
	}
	for _, a := range plan.Actions {
		s.act(ctx, a)
	}
	// Counted only here, so that a round that could not read the table or
	// see it current leaves the counter still: a stall shows on /metrics.
	s.metrics.Sweeps.Inc()
	return plan.Orphans
}

// planInput reads the servers view into a plan's input: every instance,
// with the sessions of the plan's candidates.
func (s *Server) planInput(now time.Time, settled bool, orphans map[string]time.Time) (presence.Input, error) {
	in := presence.Input{Self: s.instance, ServerID: s.cfg.ServerID, Now: now, TTL: s.cfg.SessionTTL, Settled: settled, Orphans: orphans}
	rows, err := s.servers.List("", 0, nil)
	if err != nil {
		return in, err
	}
	byID := map[string]*presence.Instance{}
	get := func(id string) *presence.Instance {
		if byID[id] == nil {
			byID[id] = &presence.Instance{ID: id}
		}
		return byID[id]
	}
	legacy := map[string][]codec.Held{} // sessions an older build kept in the instance row
	for _, r := range rows {
		inst := get(r.Instance)
		if r.IsBucket() {
			continue
		}
		inst.Row, inst.Server, inst.Retired = true, r.Server, r.Retired
		inst.LastSign, _ = codec.ParseTime(r.LastSign())
		for _, h := range r.Held {
			legacy[r.Instance] = append(legacy[r.Instance], h)
		}
	}
	for _, inst := range byID {
		in.Instances = append(in.Instances, *inst)
	}
	want := map[string]bool{}
	for _, id := range presence.Candidates(in) {
		want[id] = true
	}
	for i := range in.Instances {
		inst := &in.Instances[i]
		if !want[inst.ID] {
			continue
		}
		held, err := s.held(inst.ID)
		if err != nil {
			return in, err
		}
		inst.Held = append(legacy[inst.ID], held...)
		if inst.Held == nil {
			inst.Held = []codec.Held{}
		}
	}
	return in, nil
}

// held returns the sessions of the bucket rows of instance, read from the
// view.
func (s *Server) held(instance string) ([]codec.Held, error) {
	var held []codec.Held
	for b := range codec.HeldBuckets {
		row, err := s.servers.Get(codec.BucketKey(instance, b))
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

// act carries out one action of a plan: the expires, then, if they were
// written, the retire or forget record.
func (s *Server) act(ctx context.Context, a presence.Action) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	if len(a.Expire) > 0 {
		events := make([]codec.Event, len(a.Expire))
		for i, h := range a.Expire {
			events[i] = codec.NewEvent(codec.Expire, h.Room, h.User)
			events[i].Session, events[i].Server = h.Session, a.Instance
		}
		if _, err := s.write(ctx, events...); err != nil {
			s.cfg.Logger.Warn("could not expire sessions", "instance", a.Instance, "sessions", len(events), "err", err)
			return
		}
		s.metrics.Expired.Add(float64(len(events)))
		s.cfg.Logger.Info("expired the sessions of a server instance", "instance", a.Instance, "sessions", len(events), "why", a.Why)
	}
	op := map[presence.Then]codec.HeartbeatOp{presence.Retire: codec.Retire, presence.Forget: codec.Forget}[a.Then]
	if op == "" {
		return
	}
	if err := s.heartbeat(ctx, op, a.Instance, a.Server); err != nil {
		s.cfg.Logger.Warn("could not "+string(op)+" a server instance", "instance", a.Instance, "err", err)
	}
}
