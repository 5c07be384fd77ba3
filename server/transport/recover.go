package transport

import (
	"runtime/debug"
	"time"

	"github.com/gorilla/websocket"
)

// Isolate runs fn and turns a panic into a logged error with its stack and a
// connection closed with 1011, so that a bug reached through one client's
// input never takes the process down. It reports whether fn panicked. The
// connection's own loops run under it (the reads through recovered
// directly); its owner may run its steps so too.
func (c *Conn) Isolate(what string, fn func()) (panicked bool) {
	defer c.recovered(what, &panicked)
	fn()
	return false
}

// recovered, deferred, does what Isolate does with a panic of the function
// that deferred it, and sets *panicked if there was one (panicked may be
// nil). It must be the deferred call itself: recover works only there.
func (c *Conn) recovered(what string, panicked *bool) {
	r := recover()
	if r == nil {
		return
	}
	if panicked != nil {
		*panicked = true
	}
	c.cfg.Logger.Error("panic in a connection handler", "what", what, "user", c.user,
		"session", c.session, "panic", r, "stack", string(debug.Stack()))
	c.Close(websocket.CloseInternalServerErr, "internal error")
	// If the writer is what failed, nobody sends the close: let the
	// reads end soon anyway.
	c.endReadAfter(2 * time.Second)
}
