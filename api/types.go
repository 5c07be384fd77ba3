package api

import "github.com/chatstate/chatstate/codec"

// RoomSummary is one entry of the room list (GET /api/rooms, chatstate
// rooms).
type RoomSummary struct {
	Room     string `json:"room"`
	Members  int    `json:"members"`
	Messages int64  `json:"messages"`
	Updated  string `json:"updated"`
	Cursor   int64  `json:"cursor"`
}

// SummaryOf returns the list entry of a room. row must not be nil.
func SummaryOf(row *codec.RoomState) RoomSummary {
	return RoomSummary{Room: row.Room, Members: len(row.Members), Messages: row.Messages, Updated: row.Updated, Cursor: row.Cursor}
}

// RoomJSON is the HTTP form of one room (GET /api/rooms/{room}).
type RoomJSON struct {
	Room     string         `json:"room"`
	Cursor   int64          `json:"cursor"`
	Epoch    string         `json:"epoch"`
	Members  []codec.Member `json:"members"`
	Messages int64          `json:"messages"`
	Created  string         `json:"created"`
	Updated  string         `json:"updated"`
}

// RoomOf returns the full form of a room in the log of epoch. row must not
// be nil.
func RoomOf(row *codec.RoomState, epoch string) RoomJSON {
	return RoomJSON{Room: row.Room, Cursor: row.Cursor, Epoch: epoch, Members: row.MemberList(),
		Messages: row.Messages, Created: row.Created, Updated: row.Updated}
}

// UserJSON is the HTTP form of one user (GET /api/users/{user}).
type UserJSON struct {
	User     string   `json:"user"`
	Rooms    []string `json:"rooms"`
	Sessions int      `json:"sessions"`
	LastSeen string   `json:"last_seen"`
}

// UserOf returns the HTTP form of a user. u must not be nil.
func UserOf(u *codec.UserState) UserJSON {
	return UserJSON{User: u.User, Rooms: u.OnlineRooms(), Sessions: u.SessionCount(), LastSeen: u.LastSeen}
}
