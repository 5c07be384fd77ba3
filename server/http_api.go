package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chatstate/chatstate/api"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/logread"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/chatstate/chatstate/server/web"
	"github.com/prometheus/client_golang/prometheus"
)

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /ws", s.serveWS)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	m.HandleFunc("GET /readyz", s.serveReady)
	m.Handle("GET /metrics", s.metrics.Handler())
	m.HandleFunc("GET /api/rooms", s.ready_(s.listRooms))
	m.HandleFunc("GET /api/rooms/{room}", s.ready_(s.getRoom))
	m.HandleFunc("GET /api/rooms/{room}/events", s.ready_(s.roomEvents))
	m.HandleFunc("POST /api/rooms/{room}/messages", s.ready_(s.postMessage))
	m.HandleFunc("GET /api/users", s.ready_(s.listUsers))
	m.HandleFunc("GET /api/users/{user}", s.ready_(s.getUser))
	m.HandleFunc("/api/", s.apiFallback)
	m.HandleFunc("GET /api/openapi.json", serveOpenAPI)
	m.HandleFunc("GET /{$}", web.Page)
	m.HandleFunc("GET /ops", web.OpsPage)
	m.Handle("GET /static/", web.Static())
	s.mux = m
}

// apiFallback answers what no API route takes: 405 with Allow when the path
// exists under another method (HEAD wherever GET, as the mux answers HEAD),
// with the code bad_request; else 404.
func (s *Server) apiFallback(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/api/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeError(w, protocol.Errorf(protocol.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": map[string]string{
		"code": protocol.CodeBadRequest, "message": "method " + r.Method + " is not allowed here; use " + strings.Join(allow, " or ")}})
}

// ready_ answers 503 until the server is ready.
func (s *Server) ready_(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w = &countingWriter{ResponseWriter: w, errors: s.metrics.Errors}
		if !s.Ready() {
			writeError(w, protocol.Errorf(protocol.CodeUnavailable, "not ready: %s", s.notReadyReason()))
			return
		}
		h(w, r)
	}
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if !s.Ready() {
		writeError(w, protocol.Errorf(protocol.CodeUnavailable, "not ready: %s", s.notReadyReason()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "epoch": s.epoch})
}

func (s *Server) listRooms(w http.ResponseWriter, r *http.Request) {
	limit, e := intParam(r, "limit", 100, 1, 10000)
	if e != nil {
		writeError(w, e)
		return
	}
	prefix := r.URL.Query().Get("prefix")
	if e := checkPrefix(prefix); e != nil {
		writeError(w, e)
		return
	}
	rows, err := s.rooms.List(prefix, limit, nil)
	if err != nil {
		writeError(w, protocol.Errorf(protocol.CodeUnavailable, "%v", err))
		return
	}
	out := make([]api.RoomSummary, len(rows))
	for i, row := range rows {
		out[i] = api.SummaryOf(row)
	}
	writeJSON(w, http.StatusOK, map[string]any{"rooms": out})
}

func (s *Server) getRoom(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("room")
	if err := codec.CheckName("room", name); err != nil {
		writeError(w, protocol.Errorf(protocol.CodeBadRequest, "%s", protocol.TrimInvalid(err)))
		return
	}
	if r.URL.Query().Has("at") {
		s.getRoomAt(w, r, name)
		return
	}
	// The row is brought forward to the last event the tail delivered, as
	// for a join: the answer never lags behind what the room's sockets saw.
	_, last := s.hub.Seen(name)
	row, err := s.roomAt(r.Context(), name, last)
	if err != nil {
		writeError(w, protocol.AsError(err))
		return
	}
	if row.Cursor < 0 {
		writeError(w, protocol.Errorf(protocol.CodeNotFound, "room %s was never seen", name))
		return
	}
	writeJSON(w, http.StatusOK, api.RoomOf(row, s.epoch))
}

// scanLimit bounds the records one events request examines, so that a quiet
// room in a busy partition answers quickly; "next" lets the client go on.
const scanLimit = 50000

func (s *Server) roomEvents(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("room")
	if err := codec.CheckName("room", name); err != nil {
		writeError(w, protocol.Errorf(protocol.CodeBadRequest, "%s", protocol.TrimInvalid(err)))
		return
	}
	after, e := int64Param(r, "after", -1, -1)
	if e == nil {
		var limit int
		limit, e = intParam(r, "limit", 100, 1, 1000)
		if e == nil {
			s.serveEvents(w, r.Context(), name, after, limit)
			return
		}
	}
	writeError(w, e)
}

func (s *Server) serveEvents(w http.ResponseWriter, ctx context.Context, room string, after int64, limit int) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadTimeout)
	defer cancel()
	events := []protocol.Entry{}
	next := after
	start, last, err := s.reader.Scan(ctx, room, after+1, after+scanLimit, func(e logread.Entry) bool {
		events = append(events, protocol.Entry{Cursor: e.Cursor, Event: e.Event.Public()})
		return len(events) < limit
	})
	if err != nil {
		writeError(w, protocol.Errorf(protocol.CodeUnavailable, "%v", err))
		return
	}
	next = max(next, last)
	writeJSON(w, http.StatusOK, map[string]any{"events": events, "next": next, "truncated": start > after+1})
}

type postBody struct {
	User *string `json:"user"`
	Text *string `json:"text"`
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	if s.cfg.APIKey == "" {
		writeError(w, protocol.Errorf(protocol.CodeForbidden, "posting over HTTP is disabled: no API key is configured"))
		return
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.APIKey)) != 1 {
		writeError(w, protocol.Errorf(protocol.CodeUnauthorized, "missing or wrong API key"))
		return
	}
	room := r.PathValue("room")
	if err := codec.CheckName("room", room); err != nil {
		writeError(w, protocol.Errorf(protocol.CodeBadRequest, "%s", protocol.TrimInvalid(err)))
		return
	}
	var body postBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, int64(s.cfg.MaxFrameBytes)))
	if err := dec.Decode(&body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, protocol.Errorf(protocol.CodeTooLarge, "body exceeds %d bytes", s.cfg.MaxFrameBytes))
			return
		}
		writeError(w, protocol.Errorf(protocol.CodeBadRequest, "body must be a JSON object with user and text"))
		return
	}
	if body.User == nil || body.Text == nil {
		writeError(w, protocol.Errorf(protocol.CodeBadRequest, "user and text are required"))
		return
	}
	if err := codec.CheckName("user", *body.User); err != nil {
		writeError(w, protocol.Errorf(protocol.CodeBadRequest, "%s", protocol.TrimInvalid(err)))
		return
	}
	text, err := codec.NormalizeText(*body.Text)
	if err != nil {
		code := protocol.CodeBadRequest
		if errors.Is(err, codec.ErrTooLarge) {
			code = protocol.CodeTooLarge
		}
		writeError(w, protocol.Errorf(code, "%s", protocol.TrimInvalid(err)))
		return
	}
	e := codec.NewEvent(codec.Message, room, *body.User)
	e.Text, e.Server = text, s.cfg.ServerID
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.WriteTimeout)
	defer cancel()
	s.metrics.Sends.Inc()
	offs, err := s.write(ctx, e)
	if err != nil {
		writeError(w, protocol.AsError(err))
		return
	}
	s.metrics.Acks.Inc() // before the client can see the answer
	writeJSON(w, http.StatusOK, map[string]int64{"cursor": offs[0]})
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	limit, e := intParam(r, "limit", 1000, 1, 100000)
	if e != nil {
		writeError(w, e)
		return
	}
	var keep func(*codec.UserState) bool
	switch v := r.URL.Query().Get("online"); v {
	case "", "false", "0":
	case "true", "1":
		keep = func(u *codec.UserState) bool { return u.SessionCount() > 0 }
	default:
		writeError(w, protocol.Errorf(protocol.CodeBadRequest, "online must be true or false"))
		return
	}
	prefix := r.URL.Query().Get("prefix")
	if e := checkPrefix(prefix); e != nil {
		writeError(w, e)
		return
	}
	rows, err := s.users.List(prefix, limit, keep)
	if err != nil {
		writeError(w, protocol.Errorf(protocol.CodeUnavailable, "%v", err))
		return
	}
	out := make([]api.UserJSON, len(rows))
	for i, u := range rows {
		out[i] = api.UserOf(u)
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("user")
	if err := codec.CheckName("user", name); err != nil {
		writeError(w, protocol.Errorf(protocol.CodeBadRequest, "%s", protocol.TrimInvalid(err)))
		return
	}
	u, err := s.users.Get(name)
	if err != nil {
		writeError(w, protocol.Errorf(protocol.CodeUnavailable, "%v", err))
		return
	}
	if u == nil {
		writeError(w, protocol.Errorf(protocol.CodeNotFound, "user %s was never seen", name))
		return
	}
	writeJSON(w, http.StatusOK, api.UserOf(u))
}

func intParam(r *http.Request, name string, def, lo, hi int) (int, *protocol.Error) {
	v, e := int64Param(r, name, int64(def), int64(lo))
	if e == nil && v > int64(hi) || e != nil && tooLarge(r.URL.Query().Get(name)) {
		e = protocol.Errorf(protocol.CodeBadRequest, "%s must be at most %d", name, hi)
	}
	return int(v), e
}

func int64Param(r *http.Request, name string, def, lo int64) (int64, *protocol.Error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil && tooLarge(s) {
		return 0, protocol.Errorf(protocol.CodeBadRequest, "%s is too large: at most %d", name, int64(math.MaxInt64))
	}
	if err != nil || v < lo {
		return 0, protocol.Errorf(protocol.CodeBadRequest, "%s must be an integer of at least %d", name, lo)
	}
	return v, nil
}

// tooLarge reports whether s is a number (in decimal or exponent notation,
// such as 99999999999999999999 or 1e30) above the range of int64.
func tooLarge(s string) bool {
	f, ok := new(big.Float).SetString(s)
	return ok && !f.IsInf() && f.Cmp(new(big.Float).SetInt64(math.MaxInt64)) > 0
}

// checkPrefix refuses a name prefix that no valid name begins with; the
// empty prefix matches every name.
func checkPrefix(prefix string) *protocol.Error {
	if prefix != "" && !codec.ValidName(prefix) {
		return protocol.Errorf(protocol.CodeBadRequest, "prefix %q cannot begin a name: names match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", prefix)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// countingWriter is the ResponseWriter of the API's handlers: writeError
// counts the errors it writes by code, as the WebSocket's error frames are.
type countingWriter struct {
	http.ResponseWriter
	errors *prometheus.CounterVec
}

func writeError(w http.ResponseWriter, e *protocol.Error) {
	if cw, ok := w.(*countingWriter); ok {
		cw.errors.WithLabelValues(e.Code).Inc()
	}
	writeJSON(w, protocol.HTTPStatus(e.Code), map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message}})
}

// serveOpenAPI serves the OpenAPI 3 document of the HTTP API.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	http.ServeContent(w, r, "openapi.json", time.Time{}, bytes.NewReader(api.OpenAPI))
}
