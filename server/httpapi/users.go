package httpapi

import (
	"net/http"
	"strconv"

	"github.com/chatstate/chatstate/api"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/protocol"
)

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) {
	limit, e := intParam(r, "limit", 1000, 1, 100000)
	if e != nil {
		WriteError(w, e)
		return
	}
	var keep func(*codec.UserState) bool
	online := "all"
	// Absent means all users; present, it must be one of the four values
	// (an empty ?online= is a malformed request, not a default).
	q := r.URL.Query()
	switch v := q.Get("online"); {
	case !q.Has("online"), v == "false", v == "0":
	case v == "true", v == "1":
		keep = func(u *codec.UserState) bool { return u.SessionCount() > 0 }
		online = "online"
	default:
		WriteError(w, protocol.Errorf(protocol.CodeBadRequest, "online must be true or false"))
		return
	}
	prefix := r.URL.Query().Get("prefix")
	if e := checkPrefix(prefix); e != nil {
		WriteError(w, e)
		return
	}
	// Without the key the answer also depends on which rooms are private
	// (their names are left out), so its tag follows the rooms table too.
	version := a.cfg.Users.Version
	if !a.keyed(r) {
		version = joinVersions(a.cfg.Users.Version, a.cfg.Rooms.Version)
	}
	tag := a.listETag(version, "users", prefix, strconv.Itoa(limit), online, a.visibility(r))
	if tag.unchanged(w, r) {
		return
	}
	rows, err := a.cfg.Users.List(prefix, limit, keep)
	if err != nil {
		WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "%v", err))
		return
	}
	filter := a.roomFilter(r)
	out := make([]api.UserJSON, len(rows))
	for i, u := range rows {
		if out[i], err = filter.user(u); err != nil {
			WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "%v", err))
			return
		}
	}
	tag.write(w, map[string]any{"users": out})
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("user")
	if err := codec.CheckName("user", name); err != nil {
		WriteError(w, protocol.Errorf(protocol.CodeBadRequest, "%s", protocol.TrimInvalid(err)))
		return
	}
	u, err := a.cfg.Users.Get(name)
	if err != nil {
		WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "%v", err))
		return
	}
	if u == nil {
		WriteError(w, protocol.Errorf(protocol.CodeNotFound, "user %s was never seen", name))
		return
	}
	out, err := a.roomFilter(r).user(u)
	if err != nil {
		WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "%v", err))
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

// getUnread answers a user's read state in every room of theirs.
func (a *API) getUnread(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("user")
	if err := codec.CheckName("user", name); err != nil {
		WriteError(w, protocol.Errorf(protocol.CodeBadRequest, "%s", protocol.TrimInvalid(err)))
		return
	}
	u, err := a.cfg.Users.Get(name)
	if err == nil && u == nil {
		WriteError(w, protocol.Errorf(protocol.CodeNotFound, "user %s was never seen", name))
		return
	}
	var out api.UnreadJSON
	if err == nil {
		out, err = a.roomFilter(r).unread(u)
	}
	if err != nil {
		WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "%v", err))
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

// joinVersions is the version of an answer read from two tables: both
// versions, read in turn.
func joinVersions(first, second func() (string, error)) func() (string, error) {
	return func() (string, error) {
		a, err := first()
		if err != nil {
			return "", err
		}
		b, err := second()
		return a + "+" + b, err
	}
}
