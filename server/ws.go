package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chatstate/chatstate/auth"
	"github.com/chatstate/chatstate/codec"
	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// serveWS upgrades GET /ws and runs the connection until it closes.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	user, e := s.identify(r)
	if e != nil {
		writeError(w, e)
		return
	}
	if !s.Ready() {
		writeError(w, errorf(CodeUnavailable, "not ready: %s", s.notReadyReason()))
		return
	}
	addr := remoteHost(r)
	if e := s.limits.acquire(user, addr, s.cfg.MaxConnsPerUser, s.cfg.MaxConnsPerAddr); e != nil {
		writeError(w, e)
		return
	}
	defer s.limits.release(user, addr)
	up := websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 1024,
		// Idle connections hold no write buffer: it comes from the pool
		// for each write and goes back after.
		WriteBufferPool: &writeBuffers,
		CheckOrigin:     s.checkOrigin,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			code := CodeBadRequest
			if status == http.StatusForbidden {
				code = CodeForbidden
			}
			writeError(w, errorf(code, "%v", reason))
		},
	}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	c := &conn{
		srv: s, ws: ws, user: user, session: codec.NewID(),
		limiter:    rate.NewLimiter(rate.Limit(s.cfg.SendRate), s.cfg.SendBurst),
		rooms:      map[string]*subscription{},
		leaving:    map[string]*subscription{},
		wake:       make(chan struct{}, 1),
		writerDone: make(chan struct{}),
	}
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(s.cfg.WriteTimeout))
		_ = ws.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.metrics.connects.Inc()
	s.metrics.connections.Inc()
	defer s.metrics.connections.Dec()

	c.enqueueAlways(mustJSON(helloFrame{Op: "hello", User: user, Session: c.session, Server: s.cfg.ServerID, Epoch: s.epoch}))
	go c.isolate("writer", c.writeLoop)
	c.readLoop()
	c.cleanup()
	c.close(0, "")
	<-c.writerDone
	_ = ws.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// identify returns the user a WebSocket request speaks for: from ?user=
// without an auth secret, from the token with one.
func (s *Server) identify(r *http.Request) (string, *Error) {
	q := r.URL.Query()
	if s.cfg.AuthSecret == "" {
		user := q.Get("user")
		if err := codec.CheckName("user", user); err != nil {
			return "", errorf(CodeBadRequest, "%s", trimInvalid(err))
		}
		return user, nil
	}
	if q.Has("user") {
		return "", errorf(CodeUnauthorized, "this server takes the identity from ?token=, not ?user=")
	}
	user, err := auth.Verify(s.cfg.AuthSecret, q.Get("token"))
	if err != nil {
		return "", errorf(CodeUnauthorized, "%v", err)
	}
	return user, nil
}

// writeBuffers are the write buffers shared by every connection.
var writeBuffers sync.Pool

// checkOrigin allows requests without Origin (non-browser clients), from the
// configured origins, or, when none are configured, from the server's own
// host.
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if len(s.cfg.AllowedOrigins) > 0 {
		return slices.ContainsFunc(s.cfg.AllowedOrigins, func(o string) bool {
			return o == "*" || strings.EqualFold(strings.TrimRight(o, "/"), origin)
		})
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}
