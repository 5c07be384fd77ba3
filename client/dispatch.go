package client

import (
	"encoding/json"
	"time"
)

// handle applies one frame of cn. It runs on the read loop and never
// waits for the application: updates go to the rooms' queues.
func (c *Client) handle(cn *conn, data []byte) {
	var f inFrame
	if err := json.Unmarshal(data, &f); err != nil {
		return // not ours to judge; the server speaks JSON
	}
	c.mu.Lock()
	if c.conn != cn {
		// A frame read after Close took the connection away.
		c.mu.Unlock()
		return
	}
	handled := true
	switch f.Op {
	case "snapshot":
		handled = c.onSnapshot(&f)
	case "event":
		c.onEvent(cn, &f)
	case "ack":
		handled = c.onAnswer(&f, nil)
	case "error":
		handled = c.onAnswer(&f, &Error{Code: f.Code, Message: f.Message})
	case "pong":
	case "unread":
		c.onUnread(&f)
		handled = false // the application's too
	default:
		handled = false
	}
	c.mu.Unlock()
	if !handled && c.opts.OnFrame != nil {
		c.opts.OnFrame(f.Op, data)
	}
}

// onSnapshot applies the snapshot of a room's current join: the first one
// starts the room; a later one resumes it (only the events after its
// cursor are new) or, when the server could not resume, resets it.
func (c *Client) onSnapshot(f *inFrame) bool {
	ref := f.ref()
	r := c.rooms[f.Room]
	if r == nil || ref == 0 || ref != r.joinRef {
		// An older join's answer is ours and stale; an unasked snapshot
		// (of a newer server's op) is the application's.
		delete(c.pending, ref)
		return ref != 0
	}
	delete(c.pending, ref)
	r.joinRef = 0
	s := f.snapshot()
	if s.Events == nil {
		s.Events = []Entry{}
	}
	first := !r.synced
	r.synced = true
	r.retries = 0
	// A resume over the server's cap, or one that retention cut, says
	// truncated and not resumed, with the newest events after the cursor:
	// in the same epoch they go on from it. Plain history (another epoch)
	// does not, nor does a snapshot behind the cursor.
	resumed := (s.Resumed || (s.Truncated && s.Epoch == r.epoch)) && s.Cursor >= r.cursor
	switch {
	case resumed && (r.resume || !first):
		if s.Truncated {
			r.enqueueLocked(Update{Kind: GapUpdate, Snapshot: s}, false)
		}
		for _, e := range s.Events {
			if e.Cursor > r.cursor {
				r.cursor = e.Cursor
				r.enqueueLocked(Update{Kind: EventUpdate, Entry: e}, true)
			}
		}
		r.cursor = max(r.cursor, s.Cursor)
		if first {
			r.snap = s
		}
	case first:
		r.snap = s
		r.cursor = s.Cursor
		r.resume = false
	default:
		r.snap = s
		r.cursor = s.Cursor
		r.epoch = s.Epoch
		r.enqueueLocked(Update{Kind: ResetUpdate, Snapshot: s}, true)
	}
	r.resetLocked(s)
	if first {
		close(r.joined)
	}
	c.changedLocked()
	return true
}

// onEvent queues a live event of a room whose stream is current. An event
// at or below the room's cursor was delivered already (a resume's
// overlap); one that finds the buffer full is dropped and the room
// rejoins from its cursor once the application caught up.
func (c *Client) onEvent(cn *conn, f *inFrame) {
	r := c.rooms[f.Room]
	if r == nil || !r.synced || r.stale || r.joinRef != 0 || f.Cursor <= r.cursor {
		return
	}
	if len(r.queue) >= c.opts.Buffer {
		if r.leaving {
			r.endLocked(nil)
		} else {
			r.stale = true
		}
		return
	}
	ev := f.Event
	r.cursor = f.Cursor
	r.applyLocked(&ev)
	r.enqueueLocked(Update{Kind: EventUpdate, Entry: Entry{Cursor: f.Cursor, Event: ev}}, true)
	me := cn.hello
	switch {
	case ev.Type == "leave" && ev.User == me.User && ev.Session == me.Session && r.leaving:
		// The own leave: nothing more comes from the room.
		r.endLocked(nil)
	case (ev.Type == "kick" || (ev.Type == "ban" && ev.On != nil && *ev.On)) && ev.Target == me.User:
		r.endLocked(&Error{Code: CodeForbidden, Message: ev.Type + " by " + ev.User})
	}
}

// onAnswer settles the request that ack or error f answers; err is nil for
// an ack. It returns false for an answer to no request of this client.
func (c *Client) onAnswer(f *inFrame, err *Error) bool {
	ref := f.ref()
	p := c.pending[ref]
	if p == nil {
		return false
	}
	delete(c.pending, ref)
	r := p.room
	switch p.kind {
	case "join":
		if r.joinRef != ref || err == nil {
			return true
		}
		r.joinRef = 0
		switch {
		case !r.synced:
			r.endLocked(err)
		case retriable(err.Code):
			// Refused for now: the room alone tries again on this
			// connection after its backoff (keep sends it), and the
			// other rooms stay as they are.
			r.stale = true
			r.retryAt = time.Now().Add(c.opts.backoff(r.retries))
			r.retries++
			select {
			case c.retryWake <- struct{}{}:
			default:
			}
		default:
			r.endLocked(err)
		}
		return true
	case "leave":
		switch {
		case err == nil && (r.stale || r.joinRef != 0 || r.cursor >= f.Cursor):
			// No own leave event will come through this room's stream.
			r.endLocked(nil)
		case err != nil && err.Code == CodeNotMember:
			r.endLocked(nil)
			p.answer(0, nil)
			return true
		case err != nil:
			r.leaving = false
		}
	}
	if err != nil {
		p.answer(0, err)
	} else {
		p.answer(f.Cursor, nil)
	}
	return true
}
