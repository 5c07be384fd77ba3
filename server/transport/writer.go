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
	// A batch the flusher began and the socket did not take whole is
	// written first.
	if err := c.out.flush(c.cfg.WriteTimeout); err != nil {
		c.writeFailed(err)
		return
	}
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
				c.writeFailed(err)
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

// writeFailed drops the client whose socket failed a write: the reads end
// now, closing first, so that the silence is not taken for a missing pong.
// The writer then ends the writes.
func (c *Conn) writeFailed(err error) {
	c.cfg.Logger.Info("client dropped", "user", c.user, "session", c.session, "reason", "write failed", "err", err)
	c.Close(0, "")
	c.endRead()
}

// writeReady is the flusher's turn at c, whose writing it holds: it writes
// the queued frames, and a ping if one is due, as far as the socket takes
// them without waiting. It lets go of writing when nothing more is queued;
// it hands c back to the flusher when more was queued meanwhile, and to a
// write loop of c's own when the socket took less than the batch, or when
// c is closing (the close frame and the end of the writes are the write
// loop's). A panic is contained as Isolate contains one, and ends the
// writes.
func (c *Conn) writeReady() {
	panicked := false
	defer func() {
		if panicked {
			c.endWrites()
		}
	}()
	defer c.recovered("writer", &panicked)
	c.qmu.Lock()
	if c.closing {
		c.qmu.Unlock()
		c.handOff()
		return
	}
	batch := c.takeLocked()
	ping := c.pingDue
	c.pingDue = false
	if len(batch) == 0 && !ping {
		c.writing = false
		c.qmu.Unlock()
		return
	}
	c.qmu.Unlock()
	c.out.bufferFrames(opText, batch)
	if ping {
		c.out.bufferFrames(opPing, [][]byte{nil})
	}
	whole, err := c.out.tryFlush()
	switch {
	case err != nil:
		c.writeFailed(err)
		c.endWrites()
		return
	case !whole:
		c.handOff()
		return
	}
	c.qmu.Lock()
	c.recycleLocked(batch) // its frames went out in the batch's bytes
	again := len(c.queue) > 0 || c.pingDue || c.closing
	if !again {
		c.writing = false
	}
	c.qmu.Unlock()
	if again && !c.cfg.Flusher.add(c) {
		c.handOff()
	}
}

// handOff starts a write loop for c, whose writing the caller holds; once
// the owner has stopped, the writes end.
func (c *Conn) handOff() {
	if !c.cfg.start(c.runWriter) {
		c.endWrites()
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
