package transport

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/gorilla/websocket"
)

// recorder keeps the messages it is handed.
type recorder struct {
	mu      sync.Mutex
	texts   []string
	notText int
}

func (r *recorder) Request(data []byte) {
	r.mu.Lock()
	r.texts = append(r.texts, string(data))
	r.mu.Unlock()
}

func (r *recorder) NotText() { r.mu.Lock(); r.notText++; r.mu.Unlock() }

func (r *recorder) got() ([]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.texts...), r.notText
}

// TestReadsRequestsAndControlFrames: requests of every length class are
// read whole; a client's pings are answered in order with the frames the
// write loop writes; the client's close is answered with its code, and
// reading ends.
func TestReadsRequestsAndControlFrames(t *testing.T) {
	for _, mode := range readModes {
		t.Run(mode, func(t *testing.T) {
			c, ws, ended := served(t, mode, testConfig(), func(c *Conn) Requests { return pinger{c} })
			// The handler runs in ReadMessage, on this goroutine.
			var pongs []string
			ws.SetPongHandler(func(data string) error { pongs = append(pongs, data); return nil })
			for i, n := range []int{1, 200, 5000, 2, 70000 - 30} {
				ref := `"` + strings.Repeat("r", n) + `"`
				if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"op":"ping","ref":`+ref+`}`)); err != nil {
					t.Fatal(err)
				}
				if n > c.cfg.MaxFrameBytes {
					break
				}
				_ = ws.SetReadDeadline(time.Now().Add(time.Minute)) // against a hang only
				_, p, err := ws.ReadMessage()
				if err != nil {
					t.Fatal(err)
				}
				if want := `{"op":"pong","ref":` + ref + `}`; string(p) != want {
					t.Fatalf("answer to a ping of %d bytes: %.80q…, want %.80q…", n, p, want)
				}
				// The server reads this ping before the next request, so
				// its pong comes before the next answer.
				if len(pongs) != i {
					t.Fatalf("%d pongs before answer %d", len(pongs), i)
				}
				if err := ws.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			// The last request was over MaxFrameBytes: closed with 1009.
			if ce := readClose(t, ws); ce.Code != websocket.CloseMessageTooBig || ce.Text != "frame exceeds the limit of 65536 bytes" {
				t.Fatalf("an oversized request was answered with %v", ce)
			}
			if len(pongs) != 4 {
				t.Fatalf("%d pongs, want 4", len(pongs))
			}
			for _, p := range pongs {
				if p != "are you there" {
					t.Fatalf("pong %q", p)
				}
			}
			// The client answered the close as it read it: reading ends.
			waitEnded(t, ended, "after the client answered the close")
		})
	}
}

// TestClientCloseIsAnswered: a client's close is answered with its code
// (an empty one with an empty close), and reading ends at once.
func TestClientCloseIsAnswered(t *testing.T) {
	for _, mode := range readModes {
		for _, code := range []int{websocket.CloseNormalClosure, 4321, websocket.CloseNoStatusReceived} {
			t.Run(mode, func(t *testing.T) {
				_, ws, ended := served(t, mode, testConfig(), func(*Conn) Requests { return &recorder{} })
				if err := ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, "bye"), time.Now().Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
				if ce := readClose(t, ws); ce.Code != code || ce.Text != "" {
					t.Fatalf("the close %d was answered with %v", code, ce)
				}
				waitEnded(t, ended, "after the client's close")
			})
		}
	}
}

// frame returns a client frame: its first byte, masked payload and all.
func frame(b0 byte, payload []byte) []byte {
	key := [4]byte{1, 2, 3, 4}
	var out []byte
	switch n := len(payload); {
	case n < 126:
		out = append(out, b0, 0x80|byte(n))
	case n <= 0xffff:
		out = append(out, b0, 0x80|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, b0, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	out = append(out, key[:]...)
	masked := bytes.Clone(payload)
	unmask(key, masked)
	return append(out, masked...)
}

// TestFragmentsAndInterleavedControlFrames: a text message in three
// fragments, with a ping between them, is handed over once and whole; a
// binary message is told as not text; the pong comes at once.
func TestFragmentsAndInterleavedControlFrames(t *testing.T) {
	for _, mode := range readModes {
		t.Run(mode, func(t *testing.T) {
			rec := &recorder{}
			_, ws, _ := served(t, mode, testConfig(), func(*Conn) Requests { return rec })
			pongs := make(chan string, 1)
			ws.SetPongHandler(func(data string) error { pongs <- data; return nil })
			var raw []byte
			raw = append(raw, frame(0x01, []byte("hel"))...)   // text, not final
			raw = append(raw, frame(0x89, []byte("ping?"))...) // ping, between
			raw = append(raw, frame(0x00, []byte("lo, "))...)  // continuation
			raw = append(raw, frame(0x80, []byte("world"))...) // final continuation
			raw = append(raw, frame(0x82, []byte{0, 1, 2})...) // binary
			raw = append(raw, frame(0x81, []byte("again"))...) // text
			if _, err := ws.NetConn().Write(raw); err != nil {
				t.Fatal(err)
			}
			_ = ws.SetReadDeadline(time.Now().Add(time.Minute))
			go func() { _, _, _ = ws.ReadMessage() }() // runs the pong handler
			select {
			case p := <-pongs:
				if p != "ping?" {
					t.Fatalf("pong %q", p)
				}
			case <-time.After(time.Minute):
				t.Fatal("no pong")
			}
			testenv.WaitFor(t, time.Minute, func() error {
				if texts, notText := rec.got(); len(texts) < 2 || notText < 1 {
					return fmt.Errorf("requests %q and %d not text so far", texts, notText)
				}
				return nil
			})
			if texts, notText := rec.got(); len(texts) != 2 || texts[0] != "hello, world" || texts[1] != "again" || notText != 1 {
				t.Fatalf("requests %q and %d not text, want \"hello, world\", \"again\" and 1", texts, notText)
			}
		})
	}
}

// TestProtocolErrorsClose: each frame the protocol does not allow closes
// the connection with 1002 and gorilla's reason, and reading ends.
func TestProtocolErrorsClose(t *testing.T) {
	unmasked := frame(0x81, []byte("hi"))
	unmasked[1] &^= 0x80
	for _, tc := range []struct {
		name, reason string
		raw          []byte
	}{
		{"reserved bit", "RSV1 set", frame(0xc1, []byte("x"))},
		{"unknown opcode", "bad opcode 3", frame(0x83, nil)},
		{"unmasked", "bad MASK", unmasked[:2]},
		{"long control", "len > 125 for control", frame(0x89, make([]byte, 126))},
		{"fragmented control", "FIN not set on control", frame(0x09, nil)},
		{"continuation after FIN", "continuation after FIN", frame(0x80, []byte("x"))},
		{"data before FIN", "data before FIN", append(frame(0x01, []byte("a")), frame(0x81, []byte("b"))...)},
		{"bad close code", "bad close code 1005", frame(0x88, []byte{0x03, 0xed})},
		{"close reason not UTF-8", "invalid utf8 payload in close frame", frame(0x88, []byte{0x03, 0xe8, 0xff})},
	} {
		for _, mode := range readModes {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				_, ws, ended := served(t, mode, testConfig(), func(*Conn) Requests { return &recorder{} })
				if _, err := ws.NetConn().Write(tc.raw); err != nil {
					t.Fatal(err)
				}
				if ce := readClose(t, ws); ce.Code != websocket.CloseProtocolError || ce.Text != tc.reason {
					t.Fatalf("closed with %v, want 1002 %q", ce, tc.reason)
				}
				waitEnded(t, ended, "after a protocol error")
			})
		}
	}
}
