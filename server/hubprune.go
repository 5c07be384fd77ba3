package server

import (
	"context"
	"time"
)

// pruneEvery is the pause between two prunes of the hub's cursors.
const pruneEvery = 10 * time.Second

// prune forgets the cursors the hub keeps of rooms that no connection
// follows and that are known up to them elsewhere: in the rooms view, as
// told by known(room, last). A join of such a room reads its row from the
// view at a cursor no lower than the one forgotten, so nothing is lost, and
// the hub no longer keeps every room the server ever saw. known is called
// without the hub's locks.
func (h *hub) prune(known func(room string, last int64) bool) (forgotten int) {
	for i := range h.parts {
		p := &h.parts[i]
		p.mu.Lock()
		var idle []string
		var lasts []int64
		for room, sp := range p.seen {
			if len(p.subs[room]) == 0 {
				idle = append(idle, room)
				lasts = append(lasts, sp.last)
			}
		}
		p.mu.Unlock()
		for j, room := range idle {
			if !known(room, lasts[j]) {
				continue
			}
			p.mu.Lock()
			// Only if nothing changed meanwhile.
			if sp, ok := p.seen[room]; ok && sp.last == lasts[j] && len(p.subs[room]) == 0 {
				delete(p.seen, room)
				forgotten++
			}
			p.mu.Unlock()
		}
	}
	return forgotten
}

// pruneLoop prunes the hub every pruneEvery until ctx is done, once the
// rooms view is ready.
func (s *Server) pruneLoop(ctx context.Context) {
	tick := time.NewTicker(pruneEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !s.rooms.Ready() {
			continue
		}
		s.hub.prune(func(room string, last int64) bool {
			row, err := s.rooms.Get(room)
			return err == nil && row != nil && row.Cursor >= last
		})
	}
}
