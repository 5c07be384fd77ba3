package client

// UpdateKind tells what an Update carries.
type UpdateKind int

const (
	// EventUpdate: Entry is the room's next event.
	EventUpdate UpdateKind = iota
	// ResetUpdate: the room starts afresh. A rejoin could not resume (the
	// log is a new one, with another epoch, or the server refused the
	// cursor), so Snapshot is the room's new state with its recent history
	// in Snapshot.Events, and events from before it may have been missed
	// or may come again with other cursors. Events after it follow.
	ResetUpdate
	// GapUpdate: the resume after a lost connection could not bring every
	// missed event (retention deleted some, or more than 1000 followed the
	// cursor): events between the last one handed over and the next are
	// lost. Snapshot is the resume's snapshot (Truncated true, Resumed
	// false, as the server says of a resume it could not complete); the
	// events it brought, all after the last one handed over, follow as
	// EventUpdates.
	GapUpdate
)

func (k UpdateKind) String() string {
	switch k {
	case EventUpdate:
		return "event"
	case ResetUpdate:
		return "reset"
	case GapUpdate:
		return "gap"
	}
	return "unknown"
}

// Update is one item of a room's stream, from Room.Updates.
type Update struct {
	Kind     UpdateKind
	Entry    Entry     // for EventUpdate
	Snapshot *Snapshot // for ResetUpdate and GapUpdate
}

// queued is an update with the position it brings the room to.
type queued struct {
	u    Update
	pos  Position
	save bool
}

// enqueueLocked appends an update for the pump. It never waits: the bound
// (Options.Buffer) is enforced by the caller for live events only.
func (r *Room) enqueueLocked(u Update, save bool) {
	pos := Position{Epoch: r.epoch, Cursor: r.cursor}
	r.queue = append(r.queue, queued{u: u, pos: pos, save: save})
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// pump hands r's updates to the application, one at a time, and saves the
// position of each once handed over. When the room ended it hands over
// what is left, then closes Updates; when the client closes it stops at
// once. A room that fell behind (its buffer overflowed) rejoins from its
// cursor once the application caught up: the resume brings what was
// dropped meanwhile.
func (r *Room) pump() {
	c := r.c
	defer c.wg.Done()
	defer close(r.out)
	for {
		c.mu.Lock()
		for len(r.queue) == 0 {
			if r.ended {
				left := r.err == nil
				c.mu.Unlock()
				if left {
					// A room left on purpose has no position to resume.
					c.opts.Store.Delete(r.name)
				}
				return
			}
			if r.stale && r.joinRef == 0 && c.conn != nil {
				f, cn := c.joinFrameLocked(r), c.conn
				c.mu.Unlock()
				_ = cn.write(f)
				c.mu.Lock()
				continue
			}
			c.mu.Unlock()
			select {
			case <-r.wake:
			case <-c.ctx.Done():
				return
			}
			c.mu.Lock()
		}
		q := r.queue[0]
		r.queue[0] = queued{}
		r.queue = r.queue[1:]
		if len(r.queue) == 0 {
			r.queue = nil // let the backing array go after a burst
		}
		c.mu.Unlock()
		select {
		case r.out <- q.u:
		case <-c.ctx.Done():
			return
		}
		if q.save {
			c.opts.Store.Save(r.name, q.pos)
		}
	}
}
