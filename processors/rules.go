package processors

import (
	"errors"
	"fmt"
	"slices"

	"github.com/chatstate/chatstate/codec"
)

// The rules of a room (owner, moderators, privacy, topic, invitations,
// bans, mutes, direct rooms) are folded here with the rest of the row. The
// servers check them before they write; the fold checks them again at each
// event's cursor, for records that other producers wrote: a record that
// breaks them is refused (see ErrRefused) and changes nothing but the
// row's cursor.
//
// Who counts as a member for the rules is a user with read state in the
// room (codec.RoomState.Reads): one who joined it and was not kicked or
// banned since, connected or not. So a member of a private room comes back
// without a new invitation, as in the chats users know.

// ErrRefused is wrapped by the reason a record breaks the room's rules at
// its cursor.
var ErrRefused = errors.New("refused by the room's rules")

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// Check returns why the event e breaks the rules of the room s (its row
// before e; nil for a room without events), or nil if e may be applied.
func Check(s *codec.RoomState, e *codec.Event) error {
	if s == nil {
		s = codec.NewRoomState(e.Room)
	}
	u := e.User
	switch {
	case e.Type == codec.Join:
		return checkJoin(s, e)
	case s.DM == nil && codec.IsDMName(s.Room):
		// Only a direct join opens a room of that name: a message posted
		// over HTTP first would take the name from the pair it belongs to.
		return refuse("a room named %s is opened by a direct message only", s.Room)
	case s.DM != nil && !slices.Contains(s.DM, u):
		return refuse("room %s is the direct room of two others", s.Room)
	}
	switch e.Type {
	case codec.Message, codec.Edit, codec.React:
		if slices.Contains(s.Banned, u) {
			return refuse("%s is banned from room %s", u, s.Room)
		}
		if slices.Contains(s.Muted, u) {
			return refuse("%s is muted in room %s", u, s.Room)
		}
	case codec.Settings, codec.Role:
		if s.Owner == "" || u != s.Owner {
			return refuse("only the owner of room %s may change its %s", s.Room, e.Type)
		}
		if e.Type == codec.Role && e.Target == s.Owner {
			return refuse("the owner's role does not change")
		}
	case codec.Invite:
		if s.DM != nil {
			// One of a direct room's two (a third is refused above)
			// invites the other, which is how the other is told of a new
			// direct room.
			if !slices.Contains(s.DM, e.Target) || u == e.Target {
				return refuse("only the other user of direct room %s is invited to it", s.Room)
			}
			return nil
		}
		if !Moderates(s, u) && (s.Private || s.Reads[u] == nil) {
			return refuse("%s may not invite to room %s", u, s.Room)
		}
		if slices.Contains(s.Banned, e.Target) {
			return refuse("%s is banned from room %s", e.Target, s.Room)
		}
	case codec.Kick, codec.Ban, codec.Mute:
		if !Moderates(s, u) {
			return refuse("only the owner and moderators of room %s may %s", s.Room, e.Type)
		}
		if e.Target == s.Owner {
			return refuse("the owner of room %s cannot be %s", s.Room, pastTense[e.Type])
		}
	}
	return nil
}

var pastTense = map[codec.EventType]string{codec.Kick: "kicked", codec.Ban: "banned", codec.Mute: "muted"}

// checkJoin applies the rules of a join: never by a banned user; of a
// direct room by its two users only, and opened only by a direct join
// (one with a target) of a room without events; of a private room by its
// owner, moderators, members and invited users only.
func checkJoin(s *codec.RoomState, e *codec.Event) error {
	u := e.User
	if slices.Contains(s.Banned, u) {
		return refuse("%s is banned from room %s", u, s.Room)
	}
	switch {
	case s.DM != nil:
		if !slices.Contains(s.DM, u) {
			return refuse("room %s is the direct room of two others", s.Room)
		}
		return nil
	case e.Target != "":
		// Created: an event was applied. Refused records move the row's
		// cursor but make no room, so they cannot block a direct room.
		if s.Created != "" {
			return refuse("room %s exists and is not a direct room", s.Room)
		}
		return nil
	case codec.IsDMName(s.Room) && s.Created == "":
		return refuse("a room named %s is opened by a direct message only", s.Room)
	}
	if s.Private && !MayEnter(s, u) {
		return refuse("room %s is private: %s is neither a member nor invited", s.Room, u)
	}
	return nil
}

// Moderates reports whether user is the owner or a moderator of the room.
func Moderates(s *codec.RoomState, user string) bool {
	return user != "" && (user == s.Owner || slices.Contains(s.Moderators, user))
}

// MayEnter reports whether user may join the room were it private: its
// owner, a moderator, a member, one of a direct room's two, or invited.
func MayEnter(s *codec.RoomState, user string) bool {
	return Moderates(s, user) || s.Reads[user] != nil || slices.Contains(s.DM, user) || slices.Contains(s.Invited, user)
}

// applyRule folds an event that passed Check into the rules of the row;
// the other fields are folded by FoldRoom.
func applyRule(s *codec.RoomState, e *codec.Event) {
	t := e.Target
	switch e.Type {
	case codec.Join:
		switch {
		case e.Target != "" && s.DM == nil:
			s.DM = sortedPair(e.User, e.Target)
			s.Private = true
		case s.Owner == "" && s.DM == nil:
			s.Owner = e.User
		}
		s.Invited = without(s.Invited, e.User)
	case codec.Settings:
		if e.Private != nil {
			s.Private = *e.Private
		}
		if e.Topic != nil {
			s.Topic = *e.Topic
		}
	case codec.Role:
		if e.Role == codec.RoleModerator {
			s.Moderators = with(s.Moderators, t)
		} else {
			s.Moderators = without(s.Moderators, t)
		}
	case codec.Invite:
		if s.Reads[t] == nil {
			s.Invited = with(s.Invited, t)
		}
	case codec.Kick:
		remove(s, t)
	case codec.Ban:
		if e.On {
			remove(s, t)
			s.Banned = with(s.Banned, t)
			s.Moderators = without(s.Moderators, t)
		} else {
			s.Banned = without(s.Banned, t)
		}
	case codec.Mute:
		if e.On {
			s.Muted = with(s.Muted, t)
		} else {
			s.Muted = without(s.Muted, t)
		}
	}
}

// remove takes user out of the room: every session, their read state
// (they are a member no more) and their invitation. Their servers write
// the leaves of the sessions, which bring the users table along.
func remove(s *codec.RoomState, user string) {
	delete(s.Members, user)
	delete(s.Reads, user)
	s.Invited = without(s.Invited, user)
}

func sortedPair(a, b string) []string {
	if b < a {
		a, b = b, a
	}
	return []string{a, b}
}

// with returns the sorted list with name in it.
func with(list []string, name string) []string {
	i, found := slices.BinarySearch(list, name)
	if found {
		return list
	}
	return slices.Insert(slices.Clip(list), i, name)
}

// without returns the sorted list without name; nil when it is empty.
func without(list []string, name string) []string {
	i, found := slices.BinarySearch(list, name)
	if !found {
		return list
	}
	list = slices.Delete(slices.Clone(list), i, i+1)
	if len(list) == 0 {
		return nil
	}
	return list
}
