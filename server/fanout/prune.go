package fanout

import "time"

// Prune forgets the cursors the hub keeps of rooms that no connection
// follows and that are known up to them elsewhere: in the rooms view, as
// told by known(room, last). A join of such a room reads its row from the
// view at a cursor no lower than the one forgotten, so nothing is lost, and
// the hub no longer keeps every room the server ever saw. It also forgets
// the copies of rooms no connection followed for a while (copyIdle). known
// is called without the hub's locks. It returns how many rooms it forgot
// the cursors of.
func (h *Hub) Prune(known func(room string, last int64) bool) (forgotten int) {
	now := time.Now()
	for i := range h.parts {
		p := &h.parts[i]
		p.mu.Lock()
		p.pruneCopies(now)
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

// Rooms returns how many rooms the hub keeps cursors of: those followed, and
// those not pruned yet.
func (h *Hub) Rooms() int {
	return h.count(func(p *hubPartition) int { return len(p.seen) })
}

// count sums n over the hub's partitions, each under its lock.
func (h *Hub) count(n func(*hubPartition) int) int {
	total := 0
	for i := range h.parts {
		p := &h.parts[i]
		p.mu.Lock()
		total += n(p)
		p.mu.Unlock()
	}
	return total
}
