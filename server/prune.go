package server

import (
	"context"
	"time"
)

// pruneEvery is the pause between two prunes of the hub's cursors.
const pruneEvery = 10 * time.Second

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
		s.hub.Prune(func(room string, last int64) bool {
			row, err := s.rooms.Get(room)
			return err == nil && row != nil && row.Cursor >= last
		})
	}
}
