package server

import (
	"bufio"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chatstate/chatstate/auth"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// serveWS upgrades GET /ws and starts the connection; the connection runs
// in goroutines of its own (see conn.serve), so the handler returns at once.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	user, e := s.identify(r)
	if e != nil {
		writeError(w, e)
		return
	}
	if !s.Ready() {
		writeError(w, protocol.Errorf(protocol.CodeUnavailable, "not ready: %s", s.notReadyReason()))
		return
	}
	addr := remoteHost(r)
	if e := s.limits.acquire(user, addr, s.cfg.MaxConnsPerUser, s.cfg.MaxConnsPerAddr); e != nil {
		writeError(w, e)
		return
	}
	ws, out, err := s.upgrade(w, r)
	if err != nil {
		s.limits.release(user, addr)
		return // the upgrader answered
	}
	c := &conn{
		srv: s, ws: ws, out: out, user: user, session: codec.NewID(),
		limiter:    rate.NewLimiter(rate.Limit(s.cfg.SendRate), s.cfg.SendBurst),
		joins:      rate.NewLimiter(rate.Limit(s.cfg.JoinRate), s.cfg.JoinBurst),
		rooms:      map[string]*subscription{},
		leaving:    map[string]*subscription{},
		writerDone: make(chan struct{}),
	}
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(s.cfg.WriteTimeout))
		_ = ws.Close()
		s.limits.release(user, addr)
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.metrics.Connects.Inc()
	s.metrics.Connections.Inc()

	c.enqueueAlways(protocol.MustJSON(protocol.HelloFrame{Op: "hello", User: user, Session: c.session, Server: s.cfg.ServerID, Epoch: s.epoch}))
	c.startPings()
	go c.serve(addr)
}

// upgrade answers the WebSocket handshake and returns the connection with
// its network connection wrapped in a bufConn, for the write loop's batches.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request) (*websocket.Conn, *bufConn, error) {
	up := websocket.Upgrader{
		// Every connection keeps its read buffer while it lives, and most
		// are idle. gorilla peeks at most 125 bytes at a time (a control
		// frame's payload; a header is 14) and reads longer payloads past
		// the buffer, straight into the caller's: a request longer than
		// the buffer costs a second read, against 384 bytes less per
		// connection than 512 (BenchmarkIdleConnections).
		ReadBufferSize: 128,
		// The write loop frames data itself (appendFrame) and gorilla
		// writes only control frames, which take no write buffer; the pool
		// keeps gorilla from holding one per connection all the same (with
		// neither pool nor size it would keep net/http's 4 KiB).
		WriteBufferPool: &writeBuffers,
		CheckOrigin:     s.checkOrigin,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			code := protocol.CodeBadRequest
			if status == http.StatusForbidden {
				code = protocol.CodeForbidden
			}
			writeError(w, protocol.Errorf(code, "%v", reason))
		},
	}
	hw := &hijackWriter{ResponseWriter: w}
	ws, err := up.Upgrade(hw, r, nil)
	if err != nil {
		return nil, nil, err
	}
	return ws, hw.conn, nil
}

// hijackWriter is the ResponseWriter given to the upgrader: its Hijack
// wraps the hijacked connection in a bufConn, so that gorilla's own writes
// (the handshake's answer, control frames) and the write loop's batches go
// through the same lock, in order.
type hijackWriter struct {
	http.ResponseWriter
	conn *bufConn // set by a successful Hijack
}

// Hijack hijacks the connection of the wrapped ResponseWriter, through any
// wrappers that unwrap to it, and returns it wrapped in a bufConn.
func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &bufConn{Conn: nc}
	return w.conn, brw, nil
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

// writeBuffers is gorilla's pool of write buffers. It stays empty, since
// gorilla writes no data frames here (see upgrade); set, it keeps gorilla
// from giving each connection a buffer of its own.
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
