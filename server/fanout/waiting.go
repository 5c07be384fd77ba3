package fanout

import "github.com/chatstate/chatstate/codec"

// waitingEvents bounds what a wait for a copy keeps: a join reads its row
// in milliseconds, so a room that gets this many events meanwhile makes its
// copy at a later join.
const waitingEvents = 1024

// waitingCopy is what the hub keeps of a room while a join reads the row
// that will become its copy: every event the tail dispatched after since,
// the room's last cursor when the wait began. Under a steady stream the
// tail is always past the row a join read; these events bring the row up
// to it (Hub.Keep). Hub partition lock held for every access.
type waitingCopy struct {
	since  int64
	events []waitingEvent
}

type waitingEvent struct {
	e      *codec.Event
	cursor int64
}

func (w *waitingCopy) add(e *codec.Event, cursor int64) {
	w.events = append(w.events, waitingEvent{e, cursor})
}

func (w *waitingCopy) full() bool { return len(w.events) >= waitingEvents }

// expectCopy starts a wait for a copy of room, whose last cursor
// dispatched is last, unless the hub has a copy or a wait already (an
// earlier wait keeps more). Hub partition lock held.
func (p *hubPartition) expectCopy(room string, last int64) {
	if p.copies[room] == nil && p.waiting[room] == nil {
		p.waiting[room] = &waitingCopy{since: last}
	}
}
