package transport

import (
	"time"

	"github.com/gorilla/websocket"
)

// writeLoop writes what is queued, a batch per write on the socket, until
// the queue is empty, and then ends; Enqueue starts the next one. Once the
// connection is closing, it writes the close frame, if any, and ends the
// connection's writes for good.
func (c *Conn) writeLoop() {
	// Every way out but an empty queue ends the writes, a panic included:
	// then writerDone is closed and no write loop starts again.
	last := true
	defer func() {
		if last {
			c.endWrites()
		}
	}()
	var batch [][]byte
	for {
		c.qmu.Lock()
		c.recycleLocked(batch)
		batch = c.takeLocked()
		ping, closing, code, reason := c.pingDue, c.closing, c.closeCode, c.closeReason
		c.pingDue = false
		if len(batch) == 0 && !ping && !closing {
			c.writing = false
			c.qmu.Unlock()
			last = false
			return
		}
		c.qmu.Unlock()
		if len(batch) > 0 || ping {
			c.out.bufferFrames(opText, batch)
			if ping {
				c.out.bufferFrames(opPing, [][]byte{nil})
			}
			if err := c.out.flush(c.cfg.WriteTimeout); err != nil {
				// The socket failed: let the reads end now, closing
				// first, so that the silence is not taken for a
				// missing pong.
				c.cfg.Logger.Info("client dropped", "user", c.user, "session", c.session, "reason", "write failed", "err", err)
				c.Close(0, "")
				c.endRead()
				return
			}
		}
		if closing {
			if code != 0 {
				msg := websocket.FormatCloseMessage(code, reason)
				_ = c.out.control(opClose, msg, time.Now().Add(c.cfg.WriteTimeout))
				// Give the client a moment to answer the close, then the
				// reads end and the socket is closed.
				c.endReadAfter(2 * time.Second)
			}
			return
		}
	}
}

// endWrites ends the connection's writes for good: nothing more is queued,
// no write loop starts again (writing stays set) and the waits on writerDone
// return. The last write loop calls it.
func (c *Conn) endWrites() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	c.endWritesLocked()
}

// endWritesLocked ends the connection's writes for good: nothing more is
// queued or pinged, and writerDone is closed. qmu held.
func (c *Conn) endWritesLocked() {
	c.closing = true
	c.queue, c.spare = nil, nil
	if c.ping != nil {
		c.ping.Stop()
	}
	close(c.writerDone)
}
