package protocol

import (
	"slices"

	"github.com/chatstate/chatstate/codec"
)

// Messages are shown in their current state: a list of a room's events
// (a snapshot's history or resume, a page of the events API) gives each of
// its messages the text, deletion and reactions that the edits, deletes and
// reacts of the same list made of it. A list that runs to the end of what
// the server has read (a snapshot's) thereby shows every message in its
// current state, since whatever changes a message comes after it; the live
// stream carries the changes after that.

// Change is what the lifecycle events of a list made of one message.
type Change struct {
	User      string // the message's author, who alone may edit or delete it
	Text      string
	Edited    bool
	Deleted   bool
	reactions map[string]map[string]bool // emoji → users
}

// Applies reports whether a lifecycle event e applies to the message of c:
// an edit or delete by its author, a react by anyone, and nothing once the
// message is deleted. The fold of a message's lifecycle is this and Apply,
// in cursor order.
func (c *Change) Applies(e *codec.Public) bool {
	switch {
	case c.Deleted:
		return false
	case e.Type == codec.Edit, e.Type == codec.Delete:
		return e.User == c.User
	}
	return e.Type == codec.React
}

// Apply folds the lifecycle event e into c; call it only when Applies.
func (c *Change) Apply(e *codec.Public) {
	switch e.Type {
	case codec.Edit:
		c.Text, c.Edited = e.Text, true
	case codec.Delete:
		c.Text, c.Deleted, c.reactions = "", true, nil
	case codec.React:
		users := c.reactions[e.Emoji]
		if e.On != nil && *e.On {
			if users == nil {
				if c.reactions == nil {
					c.reactions = map[string]map[string]bool{}
				}
				users = map[string]bool{}
				c.reactions[e.Emoji] = users
			}
			users[e.User] = true
		} else if users != nil {
			delete(users, e.User)
			if len(users) == 0 {
				delete(c.reactions, e.Emoji)
			}
		}
	}
}

// Reactions returns the count of users per emoji, nil when there is none.
func (c *Change) Reactions() map[string]int {
	if len(c.reactions) == 0 {
		return nil
	}
	out := make(map[string]int, len(c.reactions))
	for emoji, users := range c.reactions {
		out[emoji] = len(users)
	}
	return out
}

// Show returns the message p as c has it.
func (c *Change) Show(p codec.Public) codec.Public {
	p.Text, p.Edited, p.Deleted, p.Reactions = c.Text, c.Edited, c.Deleted, c.Reactions()
	return p
}

// Changes folds the lifecycle events of entries into the messages of
// entries they change, by message id; a lifecycle event whose message is
// not in entries is passed over.
func Changes(entries []Entry) map[string]*Change {
	// Most lists change nothing: look for a change before indexing the
	// messages.
	if !slices.ContainsFunc(entries, func(e Entry) bool { return e.Event.Type.Lifecycle() }) {
		return nil
	}
	var changes map[string]*Change
	var msgs map[string]*codec.Public
	for i := range entries {
		e := &entries[i].Event
		switch {
		case e.Type == codec.Message:
			if msgs == nil {
				msgs = map[string]*codec.Public{}
			}
			msgs[e.ID] = e
		case e.Type.Lifecycle():
			m := msgs[e.ID]
			if m == nil {
				continue
			}
			c := changes[e.ID]
			if c == nil {
				c = &Change{User: m.User, Text: m.Text}
				if changes == nil {
					changes = map[string]*Change{}
				}
				changes[e.ID] = c
			}
			if c.Applies(e) {
				c.Apply(e)
			}
		}
	}
	return changes
}

// Current returns entries with each message in the state the lifecycle
// events of entries leave it in (see Changes). entries may be shared: it is
// returned as it is when nothing changes, and copied otherwise.
func Current(entries []Entry) []Entry {
	changes := Changes(entries)
	if len(changes) == 0 {
		return entries
	}
	out := slices.Clone(entries)
	for i := range out {
		if e := &out[i].Event; e.Type == codec.Message {
			if c := changes[e.ID]; c != nil {
				out[i].Event = c.Show(*e)
			}
		}
	}
	return out
}
