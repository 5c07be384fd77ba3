package fanout

// behind returns the connections that may have missed events of partition p
// below cursor to, which the tail will never dispatch (retention deleted
// them first): those with a subscription to a room of p whose stream is
// not past to-1 yet, or not live yet (a join whose snapshot is on its way).
// Each connection is listed once.
func (h *Hub) behind(p int, to int64) []Subscriber {
	hp := &h.parts[p]
	hp.mu.Lock()
	defer hp.mu.Unlock()
	seen := map[Subscriber]bool{}
	var out []Subscriber
	for _, set := range hp.subs {
		for c, s := range set {
			if !seen[c] && s.missed(to) {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// missed reports whether the subscription's stream may lack an event below
// cursor to. Hub partition lock held.
func (s *Subscription) missed(to int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.live || max(s.floor, s.last) < to-1
}

// dropCopies forgets the copies of the rooms of partition p: they lack
// events the tail will never dispatch. Joins of those rooms read the log
// again, and make new copies from what it has.
func (h *Hub) dropCopies(p int) {
	hp := &h.parts[p]
	hp.mu.Lock()
	defer hp.mu.Unlock()
	clear(hp.copies)
}
