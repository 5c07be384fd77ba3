package kafka

import "github.com/lovoo/goka"

// DefaultPrefix is the default topic prefix.
const DefaultPrefix = "chat"

// Names are the topics, groups and tables of one chatstate deployment, all
// derived from one prefix. With the prefix "chat": streams chat.events,
// chat.presence, chat.deadletter, chat.heartbeats and chat.typing; groups chat-rooms,
// chat-users and chat-servers with the tables chat-rooms-table,
// chat-users-table and chat-servers-table, and the loopback chat-servers-loop.
type Names struct {
	Prefix     string
	Events     goka.Stream // user actions, key = room
	Presence   goka.Stream // derived session changes, key = user
	DeadLetter goka.Stream // records that did not decode or validate
	Heartbeats goka.Stream // server instances' signs of life, key = instance
	// Typing carries the typing notices that servers relay to each other,
	// key = room: never folded, never replayed, kept a minute.
	Typing     goka.Stream
	RoomsGroup goka.Group // folds Events into the rooms table
	UsersGroup goka.Group // folds Presence into the users table
	// ServersGroup folds Presence and Heartbeats into the servers table:
	// which sessions each server instance holds, and when it last beat.
	ServersGroup goka.Group
}

// NewNames returns the names for prefix.
func NewNames(prefix string) Names {
	return Names{
		Prefix:       prefix,
		Events:       goka.Stream(prefix + ".events"),
		Presence:     goka.Stream(prefix + ".presence"),
		DeadLetter:   goka.Stream(prefix + ".deadletter"),
		Heartbeats:   goka.Stream(prefix + ".heartbeats"),
		Typing:       goka.Stream(prefix + ".typing"),
		RoomsGroup:   goka.Group(prefix + "-rooms"),
		UsersGroup:   goka.Group(prefix + "-users"),
		ServersGroup: goka.Group(prefix + "-servers"),
	}
}

// RoomsTable is the table of room state.
func (n Names) RoomsTable() goka.Table { return goka.GroupTable(n.RoomsGroup) }

// UsersTable is the table of user state.
func (n Names) UsersTable() goka.Table { return goka.GroupTable(n.UsersGroup) }

// ServersTable is the table of server instances and the sessions they hold.
func (n Names) ServersTable() goka.Table { return goka.GroupTable(n.ServersGroup) }

// ServersLoop is the loopback stream of the servers group (key = a bucket
// row, instance#bucket, or an instance row).
// It follows goka's default loop suffix, which chatstate never changes.
func (n Names) ServersLoop() goka.Stream { return goka.Stream(string(n.ServersGroup) + "-loop") }
