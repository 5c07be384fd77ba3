package httpapi

import (
	"context"
	"errors"
	"math"
	"net/http"

	"github.com/chatstate/chatstate/api"
	"github.com/chatstate/chatstate/logread"
	"github.com/chatstate/chatstate/replay"
	"github.com/chatstate/chatstate/server/protocol"
)

// atScanLimit bounds the offsets of the room's partition one
// GET /api/rooms/{room}?at= reads.
const atScanLimit = 200000

// atUnset stands for an absent ?at=; getRoom only calls getRoomAt with one.
const atUnset = math.MinInt64

// getRoomAt answers GET /api/rooms/{room}?at=CURSOR: the room as of the
// cursor, folded from the log with the processors' fold (replay.Room). A
// cursor at or after the row's continues from the row; an earlier one folds
// the room's partition from its first retained offset. Either way at most
// atScanLimit offsets are read, else 400. A cursor past the end of the log,
// one that retention deleted, a room whose beginning it deleted, and a room
// without events at or before the cursor are 404.
func (a *API) getRoomAt(w http.ResponseWriter, r *http.Request, name string) {
	at, e := int64Param(r, "at", atUnset, 0)
	if e != nil {
		WriteError(w, e)
		return
	}
	row, err := a.cfg.Rooms.Get(name)
	if err != nil {
		WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "%v", err))
		return
	}
	if a.hidden(w, r, row, name) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.ReadTimeout)
	defer cancel()
	res, err := replay.Room(ctx, a.cfg.Reader, name, replay.RoomOptions{
		Bound: replay.Bound{Cursor: at}, Row: row, FromRow: true, MaxRead: atScanLimit})
	switch {
	case err == nil && !a.keyed(r) && res.State.Private:
		WriteError(w, protocol.Errorf(protocol.CodeNotFound, "room %s was never seen", name))
	case err == nil:
		room := api.RoomOf(res.State, a.cfg.Epoch)
		if !a.keyed(r) {
			room = room.Public()
		}
		WriteJSON(w, http.StatusOK, room)
	case errors.Is(err, replay.ErrBeyondEnd):
		// Not written yet: no state exists at that cursor (a valid request
		// about something that is not there, hence 404 rather than 400).
		WriteError(w, protocol.Errorf(protocol.CodeNotFound, "%v", err))
	case errors.Is(err, replay.ErrTooMuch):
		WriteError(w, protocol.Errorf(protocol.CodeBadRequest, "%v; use `chatstate replay` for such cursors", err))
	case errors.Is(err, replay.ErrRetention), errors.Is(err, replay.ErrNoEvents):
		WriteError(w, protocol.Errorf(protocol.CodeNotFound, "%v", err))
	case errors.Is(err, logread.ErrUnavailable):
		WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "%v", err))
	default:
		WriteError(w, protocol.Errorf(protocol.CodeInternal, "%v", err))
	}
}
