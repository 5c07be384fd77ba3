package api

import "github.com/chatstate/chatstate/codec"

// RoomSummary is one entry of the room list (GET /api/rooms, chatstate
// rooms).
type RoomSummary struct {
	Room     string `json:"room"`     // the room's name
	Members  int    `json:"members"`  // how many users are members
	Messages int64  `json:"messages"` // the count of messages
	Updated  string `json:"updated"`  // when the last event was written (RFC 3339, ms)
	Cursor   int64  `json:"cursor"`   // the cursor of the last event folded
}

// SummaryOf returns the list entry of a room. row must not be nil.
func SummaryOf(row *codec.RoomState) RoomSummary {
	return RoomSummary{Room: row.Room, Members: len(row.Members), Messages: row.Messages, Updated: row.Updated, Cursor: row.Cursor}
}

// RoomJSON is the HTTP form of one room (GET /api/rooms/{room}).
type RoomJSON struct {
	Room     string         `json:"room"`     // the room's name
	Cursor   int64          `json:"cursor"`   // the cursor of the last event folded
	Epoch    string         `json:"epoch"`    // the epoch of the log the cursor belongs to
	Members  []codec.Member `json:"members"`  // the members and their sessions
	Messages int64          `json:"messages"` // the count of messages
	Created  string         `json:"created"`  // when the first event was written (RFC 3339, ms)
	Updated  string         `json:"updated"`  // when the last event was written (RFC 3339, ms)
	// The room's rules; banned and muted only for the API key (the HTTP
	// API has no users of its own) and the command line.
	codec.RoomRules
}

// RoomOf returns the full form of a room in the log of epoch, with its bans
// and mutes: the HTTP API answers it to the API key only, or a public
// room's without them (see Public). row must not be nil.
func RoomOf(row *codec.RoomState, epoch string) RoomJSON {
	return RoomJSON{Room: row.Room, Cursor: row.Cursor, Epoch: epoch, Members: row.MemberList(),
		Messages: row.Messages, Created: row.Created, Updated: row.Updated, RoomRules: row.RulesFor("", true)}
}

// Public returns r without what only the API key sees: the bans and mutes.
func (r RoomJSON) Public() RoomJSON {
	r.Banned, r.Muted = nil, nil
	return r
}

// UserJSON is the HTTP form of one user (GET /api/users/{user}).
type UserJSON struct {
	User     string   `json:"user"`      // the user's name
	Rooms    []string `json:"rooms"`     // the rooms the user is online in
	Sessions int      `json:"sessions"`  // the user's live sessions
	LastSeen string   `json:"last_seen"` // when the user was last seen (RFC 3339, ms)
}

// UserOf returns the HTTP form of a user. u must not be nil.
func UserOf(u *codec.UserState) UserJSON {
	return UserJSON{User: u.User, Rooms: u.OnlineRooms(), Sessions: u.SessionCount(), LastSeen: u.LastSeen}
}
