package httpapi

import (
	"net/http"
	"slices"

	"github.com/chatstate/chatstate/api"
	"github.com/chatstate/chatstate/codec"
)

// roomFilter keeps, in what the user endpoints answer without the API key,
// the public rooms only: a private room (a direct room too) is absent from
// lists without the key, and its name is not told in a user's rooms
// either. It reads each room's row once per request.
type roomFilter struct {
	rooms   Table[codec.RoomState]
	all     bool            // keyed: every room is shown
	private map[string]bool // the rows read so far
}

// roomFilter returns the filter of r's answers.
func (a *API) roomFilter(r *http.Request) *roomFilter {
	return &roomFilter{rooms: a.cfg.Rooms, all: a.keyed(r)}
}

// shown reports whether room may be named in the answer. A room whose row
// cannot be read is not shown, and the error is returned.
func (f *roomFilter) shown(room string) (bool, error) {
	if f.all {
		return true, nil
	}
	if p, ok := f.private[room]; ok {
		return !p, nil
	}
	row, err := f.row(room)
	return err == nil && (row == nil || !row.Private), err
}

// row reads room's row and remembers whether it is private.
func (f *roomFilter) row(room string) (*codec.RoomState, error) {
	row, err := f.rooms.Get(room)
	if err == nil {
		if f.private == nil {
			f.private = map[string]bool{}
		}
		f.private[room] = row != nil && row.Private
	}
	return row, err
}

// user returns u as the user endpoints answer it, its rooms filtered.
func (f *roomFilter) user(u *codec.UserState) (api.UserJSON, error) {
	out := api.UserOf(u)
	if f.all {
		return out, nil
	}
	var err error
	out.Rooms = slices.DeleteFunc(out.Rooms, func(room string) bool {
		ok, e := f.shown(room)
		err = firstErr(err, e)
		return !ok
	})
	return out, err
}

// unread returns the read state of u as GET /api/users/{user}/unread
// answers it, its rooms filtered.
func (f *roomFilter) unread(u *codec.UserState) (api.UnreadJSON, error) {
	out, err := api.UnreadOf(u, f.row)
	if err != nil || f.all {
		return out, err
	}
	out.Rooms = slices.DeleteFunc(out.Rooms, func(r api.UnreadRoom) bool {
		ok, e := f.shown(r.Room)
		err = firstErr(err, e)
		return !ok
	})
	return out, err
}

// firstErr keeps the first of two errors.
func firstErr(first, next error) error {
	if first != nil {
		return first
	}
	return next
}
