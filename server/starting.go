package server

import (
	"github.com/chatstate/chatstate/server/httpapi"
	"github.com/chatstate/chatstate/server/protocol"
	"net/http"
	"sync/atomic"
)

// Starting is the HTTP handler of a server process before its Server is
// built, while Kafka is not reachable yet, say: the listener is up from the
// start, so that probes learn why the process is not ready. Until Serve is
// called it answers /healthz with 200, since the process runs, and /readyz
// and every other path with 503 unavailable and the reason last given,
// just as a Server answers while it is not ready. From Serve on, every
// request goes to the handler given there. It is safe for concurrent use.
type Starting struct {
	reason atomic.Pointer[string]
	next   atomic.Pointer[http.Handler]
}

// NewStarting returns a Starting that gives reason for not being ready.
func NewStarting(reason string) *Starting {
	s := &Starting{}
	s.SetReason(reason)
	return s
}

// SetReason replaces the reason for not being ready.
func (s *Starting) SetReason(reason string) { s.reason.Store(&reason) }

// Serve hands every later request to h.
func (s *Starting) Serve(h http.Handler) { s.next.Store(&h) }

// ServeHTTP answers as the type's doc says: the handler given to Serve
// answers, or, before Serve, the reason last given.
func (s *Starting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := s.next.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	// No mux: the routes of the package are the Server's alone.
	if r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	httpapi.WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "not ready: %s", *s.reason.Load()))
}
