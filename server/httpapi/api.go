package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/chatstate/chatstate/api"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/logread"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is what the handlers need of the server. Every field must be set;
// the functions must be safe for concurrent use.
type Config struct {
	// ServerID names the server in the events it writes.
	ServerID string
	// APIKey enables POST /api/rooms/{room}/messages for "Authorization:
	// Bearer APIKey"; empty, the endpoint answers 403.
	APIKey string
	// MaxFrameBytes bounds the body of a post.
	MaxFrameBytes int
	// ReadTimeout bounds the Kafka reads of a request, WriteTimeout its
	// writes.
	ReadTimeout, WriteTimeout time.Duration
	// Epoch is the epoch of the log the server serves.
	Epoch string
	// Rooms and Users are the views of the tables (views.Rooms and
	// views.Users).
	Rooms Table[codec.RoomState]
	Users Table[codec.UserState]
	// Reader reads rooms' events from the log.
	Reader *logread.Reader
	// Ready reports whether the server serves state; NotReady says why not.
	Ready    func() bool
	NotReady func() string
	// Room returns the row of a room, brought forward to the last event
	// the server's sockets were given: the answer never lags behind what
	// the room's sockets saw. Its errors are *protocol.Error or internal.
	Room func(ctx context.Context, name string) (*codec.RoomState, error)
	// Peek runs fn on the row Room would return, without copying it,
	// for the checks of each message posted: fn must neither keep nor
	// change the row and must be quick (it may run under the fan-out's
	// lock). Its errors are Room's. Nil means fn gets Room's answer.
	Peek func(ctx context.Context, name string, fn func(row *codec.RoomState)) error
	// Write writes events and returns their cursors once Kafka took them
	// all; its errors are *protocol.Error or internal.
	Write func(ctx context.Context, events ...codec.Event) ([]int64, error)
	// Errors counts the API's errors by code; Sends the messages handed
	// to Kafka, Acks those Kafka took.
	Errors      *prometheus.CounterVec
	Sends, Acks prometheus.Counter
}

// Table is what the handlers read of a table: a row by key (nil when there
// is none), a page of rows in key order, and a version of the rows that
// changes whenever they may have (read before the rows it tags; the lists'
// ETag is made of it). views.Table is one. Errors of Get and List are those
// of a table that cannot answer now (the API answers 503); when Version
// fails, the lists answer without an ETag.
type Table[T any] interface {
	Get(key string) (*T, error)
	List(prefix string, limit int, keep func(*T) bool) ([]*T, error)
	Version() (string, error)
}

// API is the HTTP API's handlers, registered on a mux. It is safe for
// concurrent use.
type API struct {
	cfg Config
	mux *http.ServeMux
}

// Register registers on m the HTTP API: GET /healthz, GET /readyz, the
// routes under /api/ and the OpenAPI document at GET /api/openapi.json,
// with /api/ itself answering 405 or 404 for what no route takes. Until
// cfg.Ready, the routes under /api/ answer 503.
func Register(m *http.ServeMux, cfg Config) *API {
	a := &API{cfg: cfg, mux: m}
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	m.HandleFunc("GET /readyz", a.serveReady)
	m.HandleFunc("GET /api/rooms", a.ready_(a.listRooms))
	m.HandleFunc("GET /api/rooms/{room}", a.ready_(a.getRoom))
	m.HandleFunc("GET /api/rooms/{room}/events", a.ready_(a.roomEvents))
	m.HandleFunc("POST /api/rooms/{room}/messages", a.ready_(a.postMessage))
	m.HandleFunc("GET /api/users", a.ready_(a.listUsers))
	m.HandleFunc("GET /api/users/{user}", a.ready_(a.getUser))
	m.HandleFunc("GET /api/users/{user}/unread", a.ready_(a.getUnread))
	m.HandleFunc("/api/", a.apiFallback)
	m.HandleFunc("GET /api/openapi.json", ServeOpenAPI)
	return a
}

// apiFallback answers what no API route takes: 405 with Allow when the path
// exists under another method (HEAD wherever GET, as the mux answers HEAD),
// with the code bad_request; else 404.
func (a *API) apiFallback(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.mux.Handler(probe); pattern != "/api/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		WriteError(w, protocol.Errorf(protocol.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	WriteJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": map[string]string{
		"code": protocol.CodeBadRequest, "message": "method " + r.Method + " is not allowed here; use " + strings.Join(allow, " or ")}})
}

// ready_ answers 503 until the server is ready.
func (a *API) ready_(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w = &countingWriter{ResponseWriter: w, errors: a.cfg.Errors}
		if !a.cfg.Ready() {
			WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "not ready: %s", a.cfg.NotReady()))
			return
		}
		h(w, r)
	}
}

func (a *API) serveReady(w http.ResponseWriter, r *http.Request) {
	if !a.cfg.Ready() {
		WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "not ready: %s", a.cfg.NotReady()))
		return
	}
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ready", "epoch": a.cfg.Epoch})
}

// ServeOpenAPI serves the OpenAPI 3 document of the HTTP API, from the
// start of the process: it needs nothing of the server.
func ServeOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	http.ServeContent(w, r, "openapi.json", time.Time{}, bytes.NewReader(api.OpenAPI))
}
