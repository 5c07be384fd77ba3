package transport

// EnqueueLater is Enqueue for a frame that may wait a little for others:
// when nothing is being written to the client, the frame is held up to the
// flusher's delay, and goes out with whatever is queued by then, in one
// write; a frame queued with Enqueue meanwhile takes it along at once.
// Frames keep their order whichever way they go. Without a flusher with a
// delay, it is Enqueue.
func (c *Conn) EnqueueLater(frame []byte) bool {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if !c.admitLocked() {
		return false
	}
	if !c.writing && !c.held && c.out != nil && c.out.raw != nil {
		c.held = c.cfg.Flusher.hold(c)
	}
	if c.held && !c.writing {
		return c.appendLocked(frame) // the flusher releases it within its delay
	}
	return c.queueLocked(frame)
}

// releaseHeld is the flusher's release of c's held frames: they go to a
// writer now, unless one has them already.
func (c *Conn) releaseHeld() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	c.held = false
	if !c.closing && len(c.queue) > 0 {
		c.startWriterLocked()
	}
}
