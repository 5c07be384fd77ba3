package httpapi

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/server/protocol"
)

// The HTTP API has no users of its own: without the API key it answers for
// public rooms only, a private room being absent from the list and 404 on
// its own (the same answer as a room never seen, so that its existence is
// not told either); with the key it answers for every room, bans and mutes
// included.

// keyed reports whether the request carries the configured API key.
func (a *API) keyed(r *http.Request) bool {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return a.cfg.APIKey != "" && ok && subtle.ConstantTimeCompare([]byte(key), []byte(a.cfg.APIKey)) == 1
}

// visibility is the part of a list's entity tag that tells a keyed answer
// from an unkeyed one: the two list different rooms.
func (a *API) visibility(r *http.Request) string {
	if a.keyed(r) {
		return "all rooms"
	}
	return "public rooms"
}

// publicOnly keeps the public rooms of a list.
func publicOnly(row *codec.RoomState) bool { return !row.Private }

// hidden writes 404 for a private room asked about without the key, as for
// a room never seen, and reports whether it did.
func (a *API) hidden(w http.ResponseWriter, r *http.Request, row *codec.RoomState, name string) bool {
	if row == nil || !row.Private || a.keyed(r) {
		return false
	}
	WriteError(w, neverSeen(name))
	return true
}

// peek runs fn on the room's row through Config.Peek, or Config.Room.
func (a *API) peek(ctx context.Context, name string, fn func(row *codec.RoomState)) error {
	if a.cfg.Peek != nil {
		return a.cfg.Peek(ctx, name, fn)
	}
	row, err := a.cfg.Room(ctx, name)
	if err == nil {
		fn(row)
	}
	return err
}

// mayPost returns the forbidden error of a message of user that the room's
// rules refuse (a muted or banned user), or nil.
func (a *API) mayPost(ctx context.Context, room, user string) error {
	e := codec.Event{Type: codec.Message, Room: room, User: user}
	var refused error
	if err := a.peek(ctx, room, func(row *codec.RoomState) { refused = processors.Check(row, &e) }); err != nil {
		return err
	}
	if refused != nil {
		return protocol.Errorf(protocol.CodeForbidden, "%s", strings.TrimPrefix(refused.Error(), processors.ErrRefused.Error()+": "))
	}
	return nil
}
