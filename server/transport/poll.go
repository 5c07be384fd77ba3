package transport

// readable starts the read of the frame the poller saw come, on a goroutine
// of the owner's; once the owner has stopped, on the poller's own, which
// the read then holds up for one frame. The poller's.
func (c *Conn) readable() {
	if !c.cfg.start(c.readPolled) {
		c.readPolled()
	}
}

// readPolled reads one frame and then hands the socket back to the poller,
// or, when reading ends, takes it from the poller and ends the connection.
// The poller starts one at a time per connection: the socket is armed
// again only as this one ends.
func (c *Conn) readPolled() {
	if c.readSafely() && c.cfg.Poller.rearm(c) == nil {
		return
	}
	c.cfg.Poller.forget(c)
	c.end()
}

// readSafely reads one frame and reports whether reading goes on; a panic
// is contained as Isolate contains one, and ends reading.
func (c *Conn) readSafely() (goOn bool) {
	defer c.recovered("reader", nil)
	return c.readOne()
}
