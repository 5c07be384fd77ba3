//go:build !linux

package transport

func (p *Poller) isRunning() bool { return false }

func (c *Conn) isPolled() bool { return false }
