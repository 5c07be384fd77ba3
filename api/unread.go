package api

import (
	"maps"
	"slices"

	"github.com/chatstate/chatstate/codec"
)

// UnreadRoom is a user's read state in one room (GET
// /api/users/{user}/unread, chatstate users --unread, and the unread frame
// of the WebSocket protocol).
type UnreadRoom struct {
	Room     string `json:"room"`     // the room
	Count    int64  `json:"count"`    // messages of others after the marker
	Mentions int64  `json:"mentions"` // those of them that mention the user
	Cursor   int64  `json:"cursor"`   // the user's read marker
}

// UnreadJSON is the HTTP form of a user's read state in every room they
// are a member of.
type UnreadJSON struct {
	User  string       `json:"user"`  // the user's name
	Rooms []UnreadRoom `json:"rooms"` // sorted by room; never null
}

// UnreadOf returns u's read state in each room of theirs: every room the
// users table has seen them in whose row (row returns it, nil if there is
// none) holds read state of theirs, that is every room they ever joined.
// u must not be nil; row's error ends the walk and is returned.
func UnreadOf(u *codec.UserState, row func(room string) (*codec.RoomState, error)) (UnreadJSON, error) {
	out := UnreadJSON{User: u.User, Rooms: []UnreadRoom{}}
	for _, room := range slices.Sorted(maps.Keys(u.Rooms)) {
		s, err := row(room)
		if err != nil {
			return out, err
		}
		if s == nil || s.Reads[u.User] == nil {
			continue
		}
		r := s.Reads[u.User]
		out.Rooms = append(out.Rooms, UnreadRoom{Room: room, Count: r.Count, Mentions: r.Mentions, Cursor: r.Cursor})
	}
	return out, nil
}
