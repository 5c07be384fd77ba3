package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/chatstate/chatstate/auth"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/fanout"
	"github.com/chatstate/chatstate/server/httpapi"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/chatstate/chatstate/server/transport"
	"github.com/gorilla/websocket"
)

// serveWS upgrades GET /ws and starts the connection; the connection runs
// in goroutines of its own (see conn.serve), so the handler returns at once.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	user, e := s.identify(r)
	if e != nil {
		httpapi.WriteError(w, e)
		return
	}
	if !s.Ready() {
		httpapi.WriteError(w, protocol.Errorf(protocol.CodeUnavailable, "not ready: %s", s.notReadyReason()))
		return
	}
	addr := remoteHost(r)
	if e := s.limits.acquire(user, addr, s.cfg.MaxConnsPerUser, s.cfg.MaxConnsPerAddr); e != nil {
		httpapi.WriteError(w, e)
		return
	}
	tc, err := transport.Upgrade(w, r, s.transport, user, codec.NewID())
	if err != nil {
		s.limits.release(user, addr)
		return // the upgrader answered
	}
	c := &conn{
		Conn: tc, srv: s,
		rooms: map[string]*fanout.Subscription{},
	}
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		c.Refuse(websocket.CloseGoingAway, "server shutting down")
		s.limits.release(user, addr)
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.local.add(c)
	s.metrics.Connects.Inc()
	s.metrics.Connections.Inc()

	c.EnqueueAlways(protocol.MustJSON(protocol.HelloFrame{Op: "hello", User: user, Session: c.Session(), Server: s.cfg.ServerID, Epoch: s.epoch}))
	c.StartPings()
	if !s.routines.Go(func() { c.serve(addr) }) {
		// Run has ended: nothing may outlive it.
		c.Close(websocket.CloseGoingAway, "server shutting down")
		c.finish(addr)
	}
}

// transportConfig is what the server's connections share.
func (s *Server) transportConfig() *transport.Config {
	return &transport.Config{
		QueueSize: s.cfg.QueueSize, QueueBytes: s.cfg.QueueBytes, MaxFrameBytes: s.cfg.MaxFrameBytes,
		PingInterval: s.cfg.PingInterval, WriteTimeout: s.cfg.WriteTimeout, Logger: s.cfg.Logger,
		SlowClients: s.metrics.SlowClients, QueueDrops: s.metrics.QueueDrops,
		CheckOrigin: s.checkOrigin,
		Go:          s.routines.Go,
		Poller:      s.poller,
		Flusher:     s.flusher,
		Refuse: func(w http.ResponseWriter, status int, reason error) {
			code := protocol.CodeBadRequest
			if status == http.StatusForbidden {
				code = protocol.CodeForbidden
			}
			httpapi.WriteError(w, protocol.Errorf(code, "%v", reason))
		},
	}
}

// identify returns the user a WebSocket request speaks for: from ?user=
// without an auth secret, from the token with one.
func (s *Server) identify(r *http.Request) (string, *protocol.Error) {
	q := r.URL.Query()
	if s.cfg.AuthSecret == "" {
		user := q.Get("user")
		if err := codec.CheckName("user", user); err != nil {
			return "", protocol.Errorf(protocol.CodeBadRequest, "%s", protocol.TrimInvalid(err))
		}
		return user, nil
	}
	if q.Has("user") {
		return "", protocol.Errorf(protocol.CodeUnauthorized, "this server takes the identity from ?token=, not ?user=")
	}
	user, err := auth.Verify(s.cfg.AuthSecret, q.Get("token"))
	if err != nil {
		return "", protocol.Errorf(protocol.CodeUnauthorized, "%v", err)
	}
	return user, nil
}

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
