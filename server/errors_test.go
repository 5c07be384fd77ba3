package server_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/server"
	"github.com/gorilla/websocket"
)

func TestErrorCodesKeepConnection(t *testing.T) {
	t.Parallel()
	// A refill of one token per 1000 s: the burst alone decides, however
	// long each acks=all write takes (on a three-broker Kafka, tens of ms).
	s := newStack(t, server.Config{SendRate: 0.001})
	c := s.dial("carol")
	cases := []struct {
		name    string
		raw     string
		code    string
		ref     any
		message string // "": any
	}{
		{"not json", `hello`, "bad_request", nil, "frame is not a JSON object"},
		{"array", `[1,2,3]`, "bad_request", nil, "frame must be a JSON object"},
		{"after too large", `{"op":"join","room":"ok","after":1e30}`, "bad_request", nil, "after is too large: at most 9223372036854775807"},
		{"after too long", `{"op":"join","room":"ok","after":99999999999999999999}`, "bad_request", nil, "after is too large: at most 9223372036854775807"},
		{"unknown op", `{"op":"dance","ref":"r1"}`, "bad_request", "r1", ""},
		{"missing op", `{"room":"x"}`, "bad_request", nil, ""},
		{"bad room", `{"op":"join","room":"-bad","ref":"r2"}`, "bad_request", "r2", ""},
		{"history too big", `{"op":"join","room":"ok","history":501}`, "bad_request", nil, ""},
		{"after wrong type", `{"op":"join","room":"ok","after":"x"}`, "bad_request", nil, ""},
		{"send not member", `{"op":"send","room":"elsewhere","text":"hi","ref":3}`, "not_member", 3.0, ""},
		{"leave not member", `{"op":"leave","room":"elsewhere"}`, "not_member", nil, ""},
		{"text missing", `{"op":"send","room":"elsewhere"}`, "bad_request", nil, ""},
		{"text blank", `{"op":"send","room":"elsewhere","text":"   "}`, "bad_request", nil, ""},
		{"text too large", `{"op":"send","room":"elsewhere","text":"` + strings.Repeat("x", 4097) + `","ref":"big"}`, "too_large", "big", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.T = t
			if err := c.WS.WriteMessage(websocket.TextMessage, []byte(tc.raw)); err != nil {
				t.Fatal(err)
			}
			f := c.Expect("error", frame{"code": tc.code})
			if f["message"] == "" || f["ref"] != tc.ref || tc.message != "" && f["message"] != tc.message {
				t.Fatalf("error frame %v, want ref %v and message %q", f, tc.ref, tc.message)
			}
			c.Send(frame{"op": "ping", "ref": "p"})
			c.Expect("pong", frame{"ref": "p"})
		})
	}
	c.T = t

	// A binary frame is refused, the connection stays.
	_ = c.WS.WriteMessage(websocket.BinaryMessage, []byte(`{"op":"ping"}`))
	c.Expect("error", frame{"code": "bad_request"})

	// Rate limit: a burst over the limit is refused, nothing is lost silently.
	c.Send(frame{"op": "join", "room": "busy"})
	c.Expect("snapshot", frame{"room": "busy"})
	c.ExpectEvent("busy", "join", "carol")
	for i := range 25 {
		c.Send(frame{"op": "send", "room": "busy", "text": "x", "ref": i})
	}
	acks, limited := 0, 0
	for acks+limited < 25 {
		f := c.Next()
		switch {
		case f["op"] == "ack":
			acks++
		case f["op"] == "error" && f["code"] == "rate_limited":
			limited++
		case f["op"] == "event":
		default:
			t.Fatalf("unexpected %v", f)
		}
	}
	if acks < 20 || limited == 0 {
		t.Fatalf("acks %d, rate limited %d; want the burst of 20 taken and the rest refused", acks, limited)
	}
}

func TestOversizedFrameCloses1009(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	c := s.dial("dave")
	big := `{"op":"ping","ref":"` + strings.Repeat("x", 70<<10) + `"}`
	if err := c.WS.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
		t.Fatal(err)
	}
	_ = c.WS.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := c.ReadRaw()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig || ce.Text == "" {
			t.Fatalf("got %v, want close 1009 with a reason", err)
		}
		return
	}
}

func TestUpgradeRefusals(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	base := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/ws"
	for _, tc := range []struct {
		name   string
		url    string
		origin string
		status int
	}{
		{"no user", base, "", 400},
		{"bad user", base + "?user=bad%20name", "", 400},
		{"foreign origin", base + "?user=eve", "http://evil.example", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string][]string{}
			if tc.origin != "" {
				h["Origin"] = []string{tc.origin}
			}
			_, resp, err := websocket.DefaultDialer.Dial(tc.url, h)
			if err == nil || resp == nil || resp.StatusCode != tc.status {
				t.Fatalf("got %v %v, want status %d", resp, err, tc.status)
			}
		})
	}
}
