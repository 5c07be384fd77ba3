package protocol

import (
	"errors"
	"strings"

	"github.com/chatstate/chatstate/codec"
)

// checkRule checks the fields of the rules' ops: the room of each but dm,
// the user acted on, a role's role, a settings' private and topic (the
// topic trimmed in place), a ban's and mute's on.
func checkRule(f *ClientFrame) *Error {
	if f.Op != "dm" {
		if err := codec.CheckName("room", f.Room); err != nil {
			return Errorf(CodeBadRequest, "%s", TrimInvalid(err))
		}
	}
	switch f.Op {
	case "settings":
		if f.Private == nil && f.Topic == nil {
			return Errorf(CodeBadRequest, "settings needs private, topic or both")
		}
		if f.Topic != nil {
			t := strings.TrimSpace(*f.Topic)
			if err := codec.CheckTopic(t); errors.Is(err, codec.ErrTooLarge) {
				return Errorf(CodeTooLarge, "%s", TrimInvalid(err))
			} else if err != nil {
				return Errorf(CodeBadRequest, "%s", TrimInvalid(err))
			}
			f.Topic = &t
		}
		return nil
	case "typing":
		return nil
	}
	if f.User == "" {
		return Errorf(CodeBadRequest, "user is missing: the user to %s", f.Op)
	}
	if err := codec.CheckName("user", f.User); err != nil {
		return Errorf(CodeBadRequest, "%s", TrimInvalid(err))
	}
	switch f.Op {
	case "role":
		if f.Role != codec.RoleModerator && f.Role != codec.RoleMember {
			return Errorf(CodeBadRequest, "role must be %q or %q", codec.RoleModerator, codec.RoleMember)
		}
	case "ban", "mute":
		if f.On == nil {
			return Errorf(CodeBadRequest, "on is missing: true to %s, false to undo it", f.Op)
		}
	}
	return nil
}
