//go:build !linux

package transport

// Poller is where there is no epoll a poller that never runs: every
// connection gets a read loop.
type Poller struct{}

// NewPoller returns nil: there is no poller here.
func NewPoller() *Poller { return nil }

// Run returns nil at once.
func (p *Poller) Run() error { return nil }

// Close does nothing.
func (p *Poller) Close() {}

func (p *Poller) watch(*Conn) bool { return false }

func (p *Poller) rearm(*Conn) error { return nil }

func (p *Poller) forget(*Conn) {}
