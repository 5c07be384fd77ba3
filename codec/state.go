package codec

import (
	"fmt"
	"sort"
)

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

// UserCodec is the goka codec of *UserState.
type UserCodec struct{}

// Encode implements goka.Codec.
func (UserCodec) Encode(v interface{}) ([]byte, error) {
	if s, ok := v.(*UserState); ok {
		return encodeUser(s)
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
