package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/auth"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
	"github.com/gorilla/websocket"
)

func TestAuthSecretRequiresToken(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{AuthSecret: "s3cret"})
	base := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/ws?"
	good, _ := auth.Mint("s3cret", "alice", time.Hour)
	forged, _ := auth.Mint("other", "alice", time.Hour)
	for _, tc := range []struct{ name, query string }{
		{"user param", "user=alice"},
		{"user param with token", "user=mallory&token=" + good},
		{"no token", ""},
		{"forged", "token=" + forged},
		{"garbage", "token=abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, resp, err := websocket.DefaultDialer.Dial(base+tc.query, nil)
			if err == nil || resp == nil || resp.StatusCode != 401 {
				t.Fatalf("got %v %v, want 401", resp, err)
			}
		})
	}
	c := testenv.DialQuery(t, s.http.URL, "token="+good, "alice")
	c.Send(frame{"op": "join", "room": "secure"})
	c.Expect("snapshot", frame{})
	if _, ev := c.ExpectEvent("secure", "join", "alice"); ev["user"] != "alice" {
		t.Fatalf("event %v", ev)
	}
}
