package codec

import (
	"encoding/json"
	"fmt"
	"sort"
)

// HistoryLimit is how many recent message cursors a room row keeps, and so
// the largest history a join may ask for.
const HistoryLimit = 500

// RoomState is a row of the rooms table, keyed by room: the fold of every
// event of the room up to and including Cursor.
type RoomState struct {
	V    int    `json:"v"`
	Room string `json:"room"`
	// Cursor is the offset of the last event applied; an event at or below it
	// changes nothing (exactly-once effect under redelivery).
	Cursor int64 `json:"cursor"`
	// Members maps user → session → server for every live session.
	Members map[string]map[string]string `json:"members"`
	// Messages is the total number of messages ever posted.
	Messages int64 `json:"messages"`
	// Created and Updated are the timestamps of the first and last event.
	Created string `json:"created"`
	Updated string `json:"updated"`
	// Recent holds the cursors of the last HistoryLimit messages, oldest
	// first, so that history can be read from the log without a scan.
	Recent []int64 `json:"recent"`
}

// NewRoomState returns the state of a room before its first event.
func NewRoomState(room string) *RoomState {
	return &RoomState{V: Version, Room: room, Cursor: -1, Members: map[string]map[string]string{}}
}

// Member is one entry of a room's member list.
type Member struct {
	User     string `json:"user"`
	Sessions int    `json:"sessions"`
}

// MemberList returns the members sorted by user, with their session counts.
// It never returns nil.
func (s *RoomState) MemberList() []Member {
	out := make([]Member, 0, len(s.Members))
	for u, ss := range s.Members {
		out = append(out, Member{User: u, Sessions: len(ss)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out
}

// UserRoom is a user's presence in one room, as the users table keeps it.
type UserRoom struct {
	// Sessions maps session → server for the user's live sessions in the room.
	Sessions map[string]string `json:"sessions,omitempty"`
	// Applied is the cursor of the last source event of the room applied;
	// a presence record at or below it is a redelivery and changes nothing.
	Applied int64 `json:"applied"`
}

// UserState is a row of the users table, keyed by user.
type UserState struct {
	V    int    `json:"v"`
	User string `json:"user"`
	// Rooms holds every room the user was ever seen in; rooms without
	// sessions are kept for their Applied watermark.
	Rooms    map[string]*UserRoom `json:"rooms"`
	LastSeen string               `json:"last_seen"`
}

// NewUserState returns the state of a user never seen before.
func NewUserState(user string) *UserState {
	return &UserState{V: Version, User: user, Rooms: map[string]*UserRoom{}}
}

// OnlineRooms returns the rooms in which the user holds a session, sorted.
// It never returns nil.
func (s *UserState) OnlineRooms() []string {
	out := []string{}
	for r, ur := range s.Rooms {
		if len(ur.Sessions) > 0 {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// SessionCount returns the number of distinct live sessions of the user.
func (s *UserState) SessionCount() int {
	seen := map[string]struct{}{}
	for _, ur := range s.Rooms {
		for id := range ur.Sessions {
			seen[id] = struct{}{}
		}
	}
	return len(seen)
}

// RoomCodec is the goka codec of *RoomState.
type RoomCodec struct{}

// Encode implements goka.Codec.
func (RoomCodec) Encode(v interface{}) ([]byte, error) {
	if s, ok := v.(*RoomState); ok {
		return json.Marshal(s)
	}
	return nil, fmt.Errorf("codec: RoomCodec cannot encode %T", v)
}

// Decode implements goka.Codec; it returns a *RoomState.
func (RoomCodec) Decode(data []byte) (interface{}, error) {
	s := new(RoomState)
	if err := decodeStrict(data, s); err != nil {
		return nil, err
	}
	if s.Members == nil {
		s.Members = map[string]map[string]string{}
	}
	return s, nil
}

// AsRoom returns the *RoomState held by a goka value, or nil.
func AsRoom(v interface{}) *RoomState {
	s, _ := v.(*RoomState)
	return s
}

// UserCodec is the goka codec of *UserState.
type UserCodec struct{}

// Encode implements goka.Codec.
func (UserCodec) Encode(v interface{}) ([]byte, error) {
	if s, ok := v.(*UserState); ok {
		return json.Marshal(s)
	}
	return nil, fmt.Errorf("codec: UserCodec cannot encode %T", v)
}

// Decode implements goka.Codec; it returns a *UserState.
func (UserCodec) Decode(data []byte) (interface{}, error) {
	s := new(UserState)
	if err := decodeStrict(data, s); err != nil {
		return nil, err
	}
	if s.Rooms == nil {
		s.Rooms = map[string]*UserRoom{}
	}
	return s, nil
}

// AsUser returns the *UserState held by a goka value, or nil.
func AsUser(v interface{}) *UserState {
	s, _ := v.(*UserState)
	return s
}
