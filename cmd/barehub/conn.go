package main

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

const (
	maxFrame   = 64 << 10
	writeWait  = 10 * time.Second
	pongWait   = 60 * time.Second
	pingPeriod = pongWait * 9 / 10
)

// conn is one WebSocket connection: its read loop runs in the HTTP
// handler's goroutine, its write loop in a goroutine of its own that
// drains send. hub.mu guards rooms, closed and the close reason; only the
// write loop writes to ws.
type conn struct {
	h    *hub
	ws   *websocket.Conn
	user string
	send chan []byte

	rooms     map[string]struct{}
	closed    bool
	closeCode int // sent in the close frame once send is drained; 0: none
	closeText string
}

// enqueueLocked queues frame without blocking; a connection whose queue is
// full is too slow and is closed with 4008. h.mu held.
func (c *conn) enqueueLocked(frame []byte) {
	if c.closed {
		return
	}
	select {
	case c.send <- frame:
	default:
		c.closeLocked(4008, "too slow to read its queue")
	}
}

// closeLocked closes the queue once; the write loop then sends the close
// frame, if code is set, and closes the socket. h.mu held.
func (c *conn) closeLocked(code int, text string) {
	if c.closed {
		return
	}
	c.closed, c.closeCode, c.closeText = true, code, text
	close(c.send)
}

// writeLoop writes the queued frames and pings until the queue is closed
// or a write fails, then closes the socket, which ends the read loop.
func (c *conn) writeLoop(done chan<- struct{}) {
	defer close(done)
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	defer c.ws.Close()
	for {
		select {
		case frame, ok := <-c.send:
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if !ok {
				c.h.mu.Lock()
				code, text := c.closeCode, c.closeText
				c.h.mu.Unlock()
				if code != 0 {
					_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, text))
				}
				return
			}
			if err := c.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
				return
			}
		case <-ping.C:
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// clientFrame is every field of the client frames the hub reads.
type clientFrame struct {
	Op      string          `json:"op"`
	Room    string          `json:"room"`
	Text    string          `json:"text"`
	Ref     json.RawMessage `json:"ref"`
	After   *int64          `json:"after"`
	History *int            `json:"history"`
}

// readLoop handles the client's frames until the socket fails or closes.
func (c *conn) readLoop() {
	c.ws.SetReadLimit(maxFrame)
	_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
		var f clientFrame
		if err := json.Unmarshal(data, &f); err != nil {
			c.reply(errorFrame("bad_request", "not a JSON object", nil))
			continue
		}
		c.handle(&f)
	}
}

// handle answers one client frame.
func (c *conn) handle(f *clientFrame) {
	if f.Op != "ping" && !validName(f.Room) {
		c.reply(errorFrame("bad_request", "room: want a name of 1 to 64 letters, digits, '.', '_' or '-'", f.Ref))
		return
	}
	switch f.Op {
	case "join":
		history := 50
		if f.History != nil {
			history = *f.History
		}
		if history < 0 || history > 500 || (f.After != nil && *f.After < -1) {
			c.reply(errorFrame("bad_request", "history: 0 to 500; after: a cursor", f.Ref))
			return
		}
		c.h.join(c, f.Room, f.Ref, f.After, history)
	case "leave":
		cursor, ok := c.h.leave(c, f.Room)
		if !ok {
			c.reply(errorFrame("not_member", "not a member of "+f.Room, f.Ref))
			return
		}
		c.reply(mustJSON(map[string]any{"op": "ack", "ref": f.Ref, "room": f.Room, "cursor": cursor}))
	case "send":
		text := strings.TrimSpace(f.Text)
		if text == "" || len(text) > 4096 || !utf8.ValidString(text) {
			c.reply(errorFrame("bad_request", "text: 1 to 4096 bytes of UTF-8", f.Ref))
			return
		}
		if _, ok := c.h.publish(c, f.Room, c.user, text, f.Ref); !ok {
			c.reply(errorFrame("not_member", "not a member of "+f.Room, f.Ref))
		}
	case "ping":
		c.reply(mustJSON(map[string]any{"op": "pong", "ref": f.Ref}))
	default:
		c.reply(errorFrame("bad_request", "unknown op "+f.Op, f.Ref))
	}
}

// reply queues one frame to c.
func (c *conn) reply(frame []byte) {
	c.h.mu.Lock()
	c.enqueueLocked(frame)
	c.h.mu.Unlock()
}

func errorFrame(code, message string, ref json.RawMessage) []byte {
	return mustJSON(struct {
		Op      string          `json:"op"`
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Ref     json.RawMessage `json:"ref,omitempty"`
	}{"error", code, message, ref})
}

// mustJSON encodes a frame of plain values, which cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("barehub: frame does not encode: " + err.Error())
	}
	return b
}

// validName is chatstate's rule for room and user names:
// ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$.
func validName(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		alnum := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
		if !alnum && (i == 0 || (b != '.' && b != '_' && b != '-')) {
			return false
		}
	}
	return true
}
