package httpapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/chatstate/chatstate/api"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/logread"
	"github.com/chatstate/chatstate/server/protocol"
)

func (a *API) listRooms(w http.ResponseWriter, r *http.Request) {
	limit, e := intParam(r, "limit", 100, 1, 10000)
	if e != nil {
		WriteError(w, e)
		return
	}
	prefix := r.URL.Query().Get("prefix")
	if e := checkPrefix(prefix); e != nil {
		WriteError(w, e)
		return
	}
	tag := a.listETag(a.cfg.Rooms.Version, "rooms", prefix, strconv.Itoa(limit), a.visibility(r))
	if tag.unchanged(w, r) {
		return
	}
	var keep func(*codec.RoomState) bool
	if !a.keyed(r) {
		keep = publicOnly
	}
	rows, err := a.cfg.Rooms.List(prefix, limit, keep)
	if err != nil {
		WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "%v", err))
		return
	}
	out := make([]api.RoomSummary, len(rows))
	for i, row := range rows {
		out[i] = api.SummaryOf(row)
	}
	tag.write(w, map[string]any{"rooms": out})
}

func (a *API) getRoom(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("room")
	if err := codec.CheckName("room", name); err != nil {
		WriteError(w, protocol.Errorf(protocol.CodeBadRequest, "%s", protocol.TrimInvalid(err)))
		return
	}
	if r.URL.Query().Has("at") {
		a.getRoomAt(w, r, name)
		return
	}
	// The row is brought forward to the last event the tail delivered, as
	// for a join: the answer never lags behind what the room's sockets saw.
	row, err := a.cfg.Room(r.Context(), name)
	if err != nil {
		WriteError(w, protocol.AsError(err))
		return
	}
	if row.Cursor < 0 {
		WriteError(w, neverSeen(name))
		return
	}
	if a.hidden(w, r, row, name) {
		return
	}
	room := api.RoomOf(row, a.cfg.Epoch)
	if !a.keyed(r) {
		room = room.Public()
	}
	WriteJSON(w, http.StatusOK, room)
}

// scanLimit bounds the records one events request examines, so that a quiet
// room in a busy partition answers quickly; "next" lets the client go on.
const scanLimit = 50000

func (a *API) roomEvents(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("room")
	if err := codec.CheckName("room", name); err != nil {
		WriteError(w, protocol.Errorf(protocol.CodeBadRequest, "%s", protocol.TrimInvalid(err)))
		return
	}
	after, e := int64Param(r, "after", -1, -1)
	if e == nil {
		var limit int
		limit, e = intParam(r, "limit", 100, 1, 1000)
		if e == nil {
			var private, seen bool
			err := a.peek(r.Context(), name, func(row *codec.RoomState) {
				private, seen = row != nil && row.Private, row != nil && row.Cursor >= 0
			})
			if err != nil {
				e = protocol.AsError(err)
			} else if private && !a.keyed(r) {
				e = neverSeen(name)
			} else {
				a.serveEvents(w, r.Context(), name, after, limit, seen)
				return
			}
		}
	}
	WriteError(w, e)
}

// neverSeen is the answer about a room never seen, and about a private
// room asked about without the key: the same, so that it tells nothing.
func neverSeen(room string) *protocol.Error {
	return protocol.Errorf(protocol.CodeNotFound, "room %s was never seen", room)
}

// serveEvents answers a page of the room's events after after. A room
// that neither the server's row (seen) nor the log knows answers 404, as
// GET /api/rooms/{room} does: the row may lag the log by a moment, so
// events found in the log are answered all the same.
func (a *API) serveEvents(w http.ResponseWriter, ctx context.Context, room string, after int64, limit int, seen bool) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.ReadTimeout)
	defer cancel()
	events := []protocol.Entry{}
	next, truncated, found := after, false, false
	if after < math.MaxInt64 { // nothing can follow the largest cursor
		to := int64(math.MaxInt64) // after+scanLimit, short of overflowing
		if after <= math.MaxInt64-scanLimit {
			to = after + scanLimit
		}
		start, last, err := a.cfg.Reader.Scan(ctx, room, after+1, to, func(e logread.Entry) bool {
			found = true
			if e.Event.Type == codec.Read {
				return true // a read marker is its user's own business
			}
			events = append(events, protocol.Entry{Cursor: e.Cursor, Event: e.Event.Public()})
			return len(events) < limit
		})
		if err != nil {
			WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "%v", err))
			return
		}
		if !seen && !found {
			WriteError(w, neverSeen(room))
			return
		}
		next, truncated = max(next, last), start > after+1
	} else if !seen {
		WriteError(w, neverSeen(room))
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"events": protocol.Current(events), "next": next, "truncated": truncated})
}

func (a *API) postMessage(w http.ResponseWriter, r *http.Request) {
	if a.cfg.APIKey == "" {
		WriteError(w, protocol.Errorf(protocol.CodeForbidden, "posting over HTTP is disabled: no API key is configured"))
		return
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(key), []byte(a.cfg.APIKey)) != 1 {
		WriteError(w, protocol.Errorf(protocol.CodeUnauthorized, "missing or wrong API key"))
		return
	}
	room := r.PathValue("room")
	if err := codec.CheckName("room", room); err != nil {
		WriteError(w, protocol.Errorf(protocol.CodeBadRequest, "%s", protocol.TrimInvalid(err)))
		return
	}
	body, perr := readPostBody(w, r, a.cfg.MaxFrameBytes)
	if perr != nil {
		WriteError(w, perr)
		return
	}
	if body.User == nil || body.Text == nil {
		WriteError(w, protocol.Errorf(protocol.CodeBadRequest, "user and text are required"))
		return
	}
	if err := codec.CheckName("user", *body.User); err != nil {
		WriteError(w, protocol.Errorf(protocol.CodeBadRequest, "%s", protocol.TrimInvalid(err)))
		return
	}
	text, err := codec.NormalizeText(*body.Text)
	if err != nil {
		code := protocol.CodeBadRequest
		if errors.Is(err, codec.ErrTooLarge) {
			code = protocol.CodeTooLarge
		}
		WriteError(w, protocol.Errorf(code, "%s", protocol.TrimInvalid(err)))
		return
	}
	e := codec.NewEvent(codec.Message, room, *body.User)
	e.Text, e.Server = text, a.cfg.ServerID
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.WriteTimeout)
	defer cancel()
	if err := a.mayPost(ctx, room, *body.User); err != nil {
		WriteError(w, protocol.AsError(err))
		return
	}
	a.cfg.Sends.Inc()
	offs, err := a.cfg.Write(ctx, e)
	if err != nil {
		WriteError(w, protocol.AsError(err))
		return
	}
	a.cfg.Acks.Inc() // before the client can see the answer
	writeCursor(w, offs[0])
}
