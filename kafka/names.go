package kafka

import "github.com/lovoo/goka"

// DefaultPrefix is the default topic prefix.
const DefaultPrefix = "chat"

// Names are the topics, groups and tables of one chatstate deployment, all
// derived from one prefix. With the prefix "chat": streams chat.events,
// chat.presence and chat.deadletter; groups chat-rooms and chat-users with
// the tables chat-rooms-table and chat-users-table.
type Names struct {
	Prefix     string
	Events     goka.Stream // user actions, key = room
	Presence   goka.Stream // derived session changes, key = user
	DeadLetter goka.Stream // records that did not decode or validate
	RoomsGroup goka.Group  // folds Events into the rooms table
	UsersGroup goka.Group  // folds Presence into the users table
}

// NewNames returns the names for prefix.
func NewNames(prefix string) Names {
	return Names{
		Prefix:     prefix,
		Events:     goka.Stream(prefix + ".events"),
		Presence:   goka.Stream(prefix + ".presence"),
		DeadLetter: goka.Stream(prefix + ".deadletter"),
		RoomsGroup: goka.Group(prefix + "-rooms"),
		UsersGroup: goka.Group(prefix + "-users"),
	}
}

// RoomsTable is the table of room state.
func (n Names) RoomsTable() goka.Table { return goka.GroupTable(n.RoomsGroup) }

// UsersTable is the table of user state.
func (n Names) UsersTable() goka.Table { return goka.GroupTable(n.UsersGroup) }
