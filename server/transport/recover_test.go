package transport

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/gorilla/websocket"
)

// panicker's handlers panic: a text frame's in its request, any other
// frame's in the reader itself (NotText runs there).
type panicker struct{}

func (panicker) Request([]byte) { panic("request went wrong") }
func (panicker) NotText()       { panic("not-text went wrong") }

// TestPanicClosesTheConnection: a panic in a request's handler, and one in
// the reader's own handling of a frame, are each logged with their stack
// and close that connection with 1011, and reading ends; the process goes
// on (the test is that process).
func TestPanicClosesTheConnection(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind int
		msg  string
	}{
		{"in a request", websocket.TextMessage, "request went wrong"},
		{"in the read loop", websocket.BinaryMessage, "not-text went wrong"},
	} {
		for _, mode := range readModes {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				var logs testenv.SyncBuffer
				cfg := testConfig()
				cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
				_, ws, readDone := served(t, mode, cfg, func(*Conn) Requests { return panicker{} })
				if err := ws.WriteMessage(tc.kind, []byte(`{"op":"ping"}`)); err != nil {
					t.Fatal(err)
				}
				_ = ws.SetReadDeadline(time.Now().Add(time.Minute)) // against a hang only
				_, _, err := ws.ReadMessage()
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != websocket.CloseInternalServerErr {
					t.Fatalf("after the panic: %v, want a close with 1011", err)
				}
				select {
				case <-readDone:
				case <-time.After(time.Minute):
					t.Fatal("reading did not end after the panic")
				}
				out := logs.String()
				if !strings.Contains(out, "panic in a connection handler") || !strings.Contains(out, tc.msg) || !strings.Contains(out, "goroutine ") {
					t.Fatalf("log %q, want the panic %q with its stack", out, tc.msg)
				}
			})
		}
	}
}
