package codec

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// DMRoom returns the name of the direct room of users a and b, the same
// whichever of them asks: "dm-" and the first 32 hex digits of the SHA-256
// of the two names sorted and joined by a newline. A user name may hold
// every character a room name may, so no separator between the two names
// would be unambiguous; a digest is, and it is a valid room name.
func DMRoom(a, b string) string {
	if b < a {
		a, b = b, a
	}
	sum := sha256.Sum256([]byte(a + "\n" + b))
	return "dm-" + hex.EncodeToString(sum[:16])
}

// IsDMName reports whether room has the form of a direct room's name, which
// only a direct join (a join with a target) may create.
func IsDMName(room string) bool {
	if len(room) != 3+32 || !strings.HasPrefix(room, "dm-") {
		return false
	}
	for _, c := range []byte(room[3:]) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CheckTopic checks a room topic: valid UTF-8 of at most MaxTopicBytes, with
// no white space around it; it may be empty (no topic).
func CheckTopic(t string) error {
	if !utf8.ValidString(t) {
		return fmt.Errorf("%w: topic is not valid UTF-8", ErrInvalid)
	}
	if len(t) > MaxTopicBytes {
		return fmt.Errorf("%w: %w: topic is %d bytes, at most %d", ErrInvalid, ErrTooLarge, len(t), MaxTopicBytes)
	}
	if strings.TrimSpace(t) != t {
		return fmt.Errorf("%w: topic has surrounding white space", ErrInvalid)
	}
	return nil
}

// checkDM checks the target of a join, leave or expire: only a join names
// one, the other user of the direct room it opens, whose name is theirs.
func (e *Event) checkDM() error {
	if e.Target == "" {
		return nil
	}
	if e.Type != Join {
		return fmt.Errorf("%w: a %s event has no target", ErrInvalid, e.Type)
	}
	if err := CheckName("target", e.Target); err != nil {
		return err
	}
	if e.Target == e.User {
		return fmt.Errorf("%w: a direct room is of two users", ErrInvalid)
	}
	if want := DMRoom(e.User, e.Target); e.Room != want {
		return fmt.Errorf("%w: the direct room of %s and %s is %s, not %s", ErrInvalid, e.User, e.Target, want, e.Room)
	}
	return nil
}

// validateRule checks the fields of a rule event (settings, role, invite,
// kick, ban, mute).
func (e *Event) validateRule() error {
	if e.Text != "" {
		return fmt.Errorf("%w: a %s event has no text", ErrInvalid, e.Type)
	}
	if e.Type == Settings {
		if e.Target != "" {
			return fmt.Errorf("%w: a settings event has no target", ErrInvalid)
		}
		if e.Private == nil && e.Topic == nil {
			return fmt.Errorf("%w: a settings event sets private, topic or both", ErrInvalid)
		}
		if e.Topic != nil {
			return CheckTopic(*e.Topic)
		}
		return nil
	}
	if err := CheckName("target", e.Target); err != nil {
		return err
	}
	if e.Type == Role && e.Role != RoleModerator && e.Role != RoleMember {
		return fmt.Errorf("%w: role must be %q or %q", ErrInvalid, RoleModerator, RoleMember)
	}
	return nil
}

// RoomRules is the form of a room's rules that clients see, in a join's
// snapshot and in GET /api/rooms/{room}. Banned and Muted are set only for
// those who may see them (the owner, the moderators, the API key).
type RoomRules struct {
	Owner      string    `json:"owner"`        // "" for a direct room
	Moderators []string  `json:"moderators"`   // sorted; never null
	Private    bool      `json:"private"`      // only members and invited users may join
	Topic      string    `json:"topic"`        // "" when none
	DM         []string  `json:"dm,omitempty"` // the two users of a direct room
	Banned     *[]string `json:"banned,omitempty"`
	Muted      *[]string `json:"muted,omitempty"`
}

// RulesFor returns the rules of the room as shown to viewer; privileged
// shows the bans and mutes whoever the viewer is (the API key).
func (s *RoomState) RulesFor(viewer string, privileged bool) RoomRules {
	r := RoomRules{Owner: s.Owner, Moderators: nonNil(s.Moderators), Private: s.Private, Topic: s.Topic, DM: s.DM}
	if privileged || viewer != "" && (viewer == s.Owner || slices.Contains(s.Moderators, viewer)) {
		banned, muted := nonNil(s.Banned), nonNil(s.Muted)
		r.Banned, r.Muted = &banned, &muted
	}
	return r
}

// nonNil returns a copy of list, empty rather than nil.
func nonNil(list []string) []string { return append([]string{}, list...) }
