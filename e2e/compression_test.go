package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatstate/chatstate/internal/testenv"
)

// TestWebSocketIsNotCompressed: the server's WebSocket framing writes
// uncompressed frames and reads only those, so it must never negotiate
// permessage-deflate (RFC 7692). A client that offers it gets a handshake
// without Sec-WebSocket-Extensions, and every frame it then reads, the echo
// of a very compressible message included, is a plain text frame that
// parses (gorilla refuses a frame with RSV1 set on a connection without
// compression). If compression is ever switched on, this test fails.
func TestWebSocketIsNotCompressed(t *testing.T) {
	s := startStack(t)
	d := websocket.Dialer{EnableCompression: true, HandshakeTimeout: stepTimeout}
	url := "ws" + strings.TrimPrefix(s.url, "http") + "/ws?user=alice"
	ws, resp, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	if got := resp.Header.Values("Sec-WebSocket-Extensions"); len(got) != 0 {
		t.Fatalf("handshake negotiated extensions %q, want none", got)
	}
	if got := strings.Join(resp.Request.Header["Sec-WebSocket-Extensions"], ", "); !strings.Contains(got, "permessage-deflate") {
		t.Fatalf("the client offered %q, want permessage-deflate", got)
	}

	c := &testenv.Client{T: t, WS: ws, User: "alice"}
	c.Expect("hello", testenv.Frame{"user": "alice"})
	c.Send(testenv.Frame{"op": "join", "room": "plain", "ref": "j"})
	c.Expect("snapshot", testenv.Frame{"room": "plain", "ref": "j"})
	c.ExpectEvent("plain", "join", "alice")
	text := strings.Repeat("squeeze me ", 300)
	c.Send(testenv.Frame{"op": "send", "room": "plain", "text": strings.TrimSpace(text), "ref": 1})
	c.AckAndEcho(1)

	// The frames above were read as JSON; read one more as a raw message
	// to check its type: a text frame, not a binary or compressed one.
	c.Send(testenv.Frame{"op": "ping", "ref": "p"})
	_ = ws.SetReadDeadline(time.Now().Add(stepTimeout))
	typ, data, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.TextMessage || !strings.Contains(string(data), `"pong"`) {
		t.Fatalf("got a frame of type %d: %q; want a text pong", typ, data)
	}
}
