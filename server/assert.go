package server

import (
	"context"
	"sync"
	"time"

	"github.com/chatstate/chatstate/codec"
)

// Re-assertion (anti-entropy). However a write got lost, the servers table
// and, from the same events, the rooms and users tables come back to the
// truth: every SessionTTL a server compares the sessions the table says it
// holds with those it really holds, once the table is current, and writes
// what tells the difference: a leave for a session it does not hold (a
// ghost), a join for one it holds that the table lacks (one expired while
// it lived). What changed since the comparison began is left to the next
// round, so that a join or leave in flight is never written twice.

// changes remembers when this instance last wrote a join or leave of each
// room and session, for the re-assertion to leave alone what is in flight.
// Safe for concurrent use.
type changes struct {
	mu sync.Mutex
	at map[string]time.Time // Held.Key() → when written
}

// note records a change of key now.
func (ch *changes) note(key string) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.at == nil {
		ch.at = map[string]time.Time{}
	}
	ch.at[key] = time.Now()
}

// since returns the keys changed at or after t, and forgets changes older
// than forget.
func (ch *changes) since(t, forget time.Time) map[string]bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	out := map[string]bool{}
	for k, at := range ch.at {
		switch {
		case at.Before(forget):
			delete(ch.at, k)
		case !at.Before(t):
			out[k] = true
		}
	}
	return out
}

// assertLoop re-asserts every SessionTTL until ctx is done.
func (s *Server) assertLoop(ctx context.Context) {
	tick := time.NewTicker(s.cfg.SessionTTL)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if s.servers.Ready() {
			s.reassert(ctx)
		}
	}
}

// reassert makes one comparison and writes its differences. It does
// nothing if the table does not settle in time, or Kafka does not take the
// writes (the next round tries again).
func (s *Server) reassert(ctx context.Context) {
	start := time.Now().Add(-time.Second) // a margin for the clocks of the records
	sctx, cancel := context.WithTimeout(ctx, s.settleTimeout())
	err := s.settle(sctx, true)
	cancel()
	if err != nil {
		return
	}
	table, err := s.held(s.instance)
	if err != nil {
		return
	}
	truth := s.holding()
	unsure := s.changed.since(start, start.Add(-4*s.cfg.SessionTTL))
	for _, e := range s.owed.snapshot() {
		unsure[codec.Held{Room: e.Room, Session: e.Session}.Key()] = true
	}
	events := difference(table, truth, unsure, s.instance)
	if len(events) == 0 {
		return
	}
	wctx, wcancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer wcancel()
	if _, err := s.write(wctx, events...); err != nil {
		s.cfg.Logger.Warn("could not re-assert this server's sessions", "events", len(events), "err", err)
		return
	}
	s.cfg.Logger.Info("re-asserted this server's sessions", "events", len(events))
}

// difference returns the events that make the table agree with the truth:
// a leave for each session of the table the server does not hold, a join
// for each it holds that the table lacks; keys in unsure are left alone.
func difference(table []codec.Held, truth map[string]codec.Held, unsure map[string]bool, instance string) []codec.Event {
	var events []codec.Event
	inTable := map[string]bool{}
	for _, h := range table {
		inTable[h.Key()] = true
		if _, held := truth[h.Key()]; !held && !unsure[h.Key()] {
			events = append(events, sessionEvent(codec.Leave, h, instance))
		}
	}
	for k, h := range truth {
		if !inTable[k] && !unsure[k] {
			events = append(events, sessionEvent(codec.Join, h, instance))
		}
	}
	return events
}

func sessionEvent(typ codec.EventType, h codec.Held, instance string) codec.Event {
	e := codec.NewEvent(typ, h.Room, h.User)
	e.Session, e.Server = h.Session, instance
	return e
}

// holding returns the sessions this server holds: every joined room of
// every connection not ended, but those a kick or ban ended (their leaves
// are owed), lest a re-assertion join them again.
func (s *Server) holding() map[string]codec.Held {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	out := map[string]codec.Held{}
	for _, c := range conns {
		c.mu.Lock()
		if !c.done {
			for room, sub := range c.rooms {
				if sub.Ended() {
					continue
				}
				h := codec.Held{Room: room, User: c.User(), Session: c.Session()}
				out[h.Key()] = h
			}
		}
		c.mu.Unlock()
	}
	return out
}
