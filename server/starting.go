package server

import (
	"net/http"
	"sync/atomic"

	"github.com/chatstate/chatstate/server/httpapi"
	"github.com/chatstate/chatstate/server/ops"
	"github.com/chatstate/chatstate/server/protocol"
)

// Starting is the HTTP handler of a server process before its Server is
// built, while Kafka is not reachable yet, say: the listener is up from the
// start, so that probes learn why the process is not ready. Until Serve is
// called it answers /healthz with 200, since the process runs, /metrics
// with the server's metrics at zero and chatstate_ready 0 (so that a
// scrape sees a server that is not ready rather than an error), the OpenAPI
// document, and /readyz and every other path with 503 unavailable and the
// reason last given, just as a Server answers while it is not ready. From
// Serve on, every request goes to the handler given there. It is safe for
// concurrent use.
type Starting struct {
	reason  atomic.Pointer[string]
	next    atomic.Pointer[http.Handler]
	metrics http.Handler
}

// NewStarting returns a Starting that gives reason for not being ready.
func NewStarting(reason string) *Starting {
	s := &Starting{metrics: ops.NewMetrics(func() bool { return false }, nil).Handler()}
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
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		switch r.URL.Path {
		case "/healthz":
			httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
			return
		case "/metrics":
			s.metrics.ServeHTTP(w, r)
			return
		case "/api/openapi.json":
			httpapi.ServeOpenAPI(w, r)
			return
		}
	}
	httpapi.WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "not ready: %s", *s.reason.Load()))
}
