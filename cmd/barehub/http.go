package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{
	ReadBufferSize: 4096, WriteBufferSize: 4096,
	// A benchmark target on loopback: any origin may connect.
	CheckOrigin: func(*http.Request) bool { return true },
}

// routes is the hub's HTTP surface.
func (h *hub) routes() http.Handler {
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) }
	mux.HandleFunc("GET /healthz", ok)
	mux.HandleFunc("GET /readyz", ok)
	mux.HandleFunc("GET /ws", h.serveWS)
	mux.HandleFunc("POST /api/rooms/{room}/messages", h.postMessage)
	return mux
}

// serveWS upgrades, says hello and runs the connection's read loop; its
// write loop ends before it returns.
func (h *hub) serveWS(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	if !validName(user) {
		writeError(w, http.StatusBadRequest, "bad_request", "user: want ?user=NAME")
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	c := &conn{h: h, ws: ws, user: user, send: make(chan []byte, h.queue), rooms: map[string]struct{}{}}
	if !h.register(c) {
		_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1001, "server shutting down"))
		_ = ws.Close()
		return
	}
	defer h.wg.Done()
	var id [8]byte
	_, _ = rand.Read(id[:])
	c.reply(mustJSON(map[string]string{"op": "hello", "user": user, "session": hex.EncodeToString(id[:]), "server": "barehub", "epoch": h.epoch}))
	done := make(chan struct{})
	go c.writeLoop(done)
	c.readLoop()
	h.unregister(c)
	<-done
}

// postMessage is POST /api/rooms/{room}/messages: body {"user", "text"},
// Authorization: Bearer KEY; answers {"cursor"}.
func (h *hub) postMessage(w http.ResponseWriter, r *http.Request) {
	key, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if h.apiKey == "" || !found || subtle.ConstantTimeCompare([]byte(key), []byte(h.apiKey)) != 1 {
		writeError(w, http.StatusUnauthorized, "unauthorized", "needs Authorization: Bearer KEY")
		return
	}
	room := r.PathValue("room")
	var body struct{ User, Text string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFrame)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "body must be a JSON object with user and text")
		return
	}
	text := strings.TrimSpace(body.Text)
	if !validName(room) || !validName(body.User) || text == "" || len(text) > 4096 || !utf8.ValidString(text) {
		writeError(w, http.StatusBadRequest, "bad_request", "a room and user name and 1 to 4096 bytes of text")
		return
	}
	var cursor int64
	if h.relay != nil {
		var err error
		if cursor, err = h.relay.publish(r.Context(), room, body.User, text); err != nil {
			writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
			return
		}
	} else {
		cursor, _ = h.publish(nil, room, body.User, text, nil)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(mustJSON(map[string]int64{"cursor": cursor}))
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(mustJSON(map[string]any{"error": map[string]string{"code": code, "message": message}}))
}
