package transport

// isRunning reports whether Run waits for sockets.
func (p *Poller) isRunning() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running
}

// isPolled reports whether the poller watches c.
func (c *Conn) isPolled() bool {
	p := c.cfg.Poller
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns[c.fd] == c
}
