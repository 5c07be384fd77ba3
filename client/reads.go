package client

import "context"

// Read state and the message lifecycle: the requests that move the user's
// read marker and change messages, and the unread counts the server tells.
// Each request is answered like Send: the cursor of the event written once
// Kafka has it, or the server's *Error (ErrForbidden for someone else's
// message, ErrNotFound for an unknown or deleted one, ErrNotMember,
// ErrBadRequest, ErrRateLimited, …), ErrLeft, ErrClosed, ErrDisconnected
// or ctx's error. While the client reconnects they wait for the room's
// rejoin. The changes come back in Updates as events of type edit, delete
// and react (and read, to the user's own sessions only).

// Unread is the user's read state in a room, as the server's unread frames
// tell it: after each join, and whenever the count or the mentions change.
type Unread struct {
	// Count is the number of messages of others after the marker.
	Count int64 `json:"count"`
	// Mentions is the number of those that mention the user.
	Mentions int64 `json:"mentions"`
	// Cursor is the user's read marker.
	Cursor int64 `json:"cursor"`
}

// Read moves the user's read marker in the room to cursor. A marker at or
// below the current one is written and changes nothing.
func (r *Room) Read(ctx context.Context, cursor int64) (int64, error) {
	return r.c.request(ctx, r, roomFrame{Op: "read", Cursor: &cursor})
}

// Edit replaces the text of the user's own message id.
func (r *Room) Edit(ctx context.Context, id, text string) (int64, error) {
	return r.c.request(ctx, r, roomFrame{Op: "edit", ID: id, Text: text})
}

// Delete deletes the user's own message id.
func (r *Room) Delete(ctx context.Context, id string) (int64, error) {
	return r.c.request(ctx, r, roomFrame{Op: "delete", ID: id})
}

// React adds (on) or removes the user's reaction emoji to message id.
func (r *Room) React(ctx context.Context, id, emoji string, on bool) (int64, error) {
	return r.c.request(ctx, r, roomFrame{Op: "react", ID: id, Emoji: emoji, On: &on})
}

// Unread returns the latest read state the server told for the room, and
// false before it told any. Safe for concurrent use.
func (r *Room) Unread() (Unread, bool) {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	if r.unread == nil {
		return Unread{}, false
	}
	return *r.unread, true
}

// onUnread keeps an unread frame for its room. c.mu held. The frame also
// goes to Options.OnFrame, for an application that wants to be told.
func (c *Client) onUnread(f *inFrame) {
	if r := c.rooms[f.Room]; r != nil {
		r.unread = &Unread{Count: f.Count, Mentions: f.Mentions, Cursor: f.Cursor}
	}
}
