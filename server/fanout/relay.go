package fanout

// Relay queues frame, a notice that is no event of the log (a typing
// notice), to every live subscription of room but those of user's
// sessions. It is never buffered for a paused subscription, and has no
// cursor: a notice missed is not owed.
func (h *Hub) Relay(room, user string, frame []byte) {
	p := h.part(room)
	p.mu.Lock()
	defer p.mu.Unlock()
	for c, s := range p.subs[room] {
		if s.user != user && s.isLive() {
			c.Enqueue(frame)
		}
	}
}

// isLive reports whether the subscription delivers directly: its snapshot
// was sent and it has not ended.
func (s *Subscription) isLive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live && !s.ended
}
