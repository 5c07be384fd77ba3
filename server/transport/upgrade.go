package transport

import (
	"bufio"
	"net"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
)

// Upgrade answers the WebSocket handshake of r and returns the connection of
// user's session, its loops not started: the owner queues its first frames,
// may StartPings, and calls Serve. The handshake is checked with
// cfg.CheckOrigin; a refused one is answered with cfg.Refuse and returns its
// error. The network connection is wrapped in a bufConn, for the write
// loop's batches.
func Upgrade(w http.ResponseWriter, r *http.Request, cfg *Config, user, session string) (*Conn, error) {
	up := websocket.Upgrader{
		// gorilla's connection, and with it its read buffer, is dropped
		// once the handshake is answered: the smallest buffer will do.
		ReadBufferSize: 128,
		// The write loop frames data itself (appendFrame) and gorilla
		// writes only control frames, which take no write buffer; the pool
		// keeps gorilla from holding one per connection all the same (with
		// neither pool nor size it would keep net/http's 4 KiB).
		WriteBufferPool: &writeBuffers,
		CheckOrigin:     cfg.CheckOrigin,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			cfg.Refuse(w, status, reason)
		},
	}
	hw := &hijackWriter{ResponseWriter: w}
	if _, err := up.Upgrade(hw, r, nil); err != nil {
		return nil, err
	}
	// gorilla's connection is dropped: the server reads the frames
	// itself (frames.go) and writes every frame through hw.conn, so an
	// idle connection does not keep gorilla's struct and read buffer.
	// Nothing of the client is in gorilla's buffer: Upgrade refuses a
	// client that sent data before the handshake's answer.
	c := newConn(cfg, user, session)
	c.out = hw.conn
	return c, nil
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
	w.conn = &bufConn{Conn: nc, raw: rawOf(nc)}
	return w.conn, brw, nil
}

// writeBuffers is gorilla's pool of write buffers. It stays empty, since
// gorilla writes no data frames here (see Upgrade); set, it keeps gorilla
// from giving each connection a buffer of its own.
var writeBuffers sync.Pool
