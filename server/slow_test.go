package server_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chatstate/chatstate/server"
	"github.com/gorilla/websocket"
)

// TestSlowClientIsClosed4008 stalls one client in a busy room: its queue
// fills and it is closed with 4008, while another member receives every
// message. The queue is not made tiny: on a loaded machine a healthy
// client's writer may wait some milliseconds for a CPU, and a queue of a
// dozen frames would drop it too.
func TestSlowClientIsClosed4008(t *testing.T) {
	s := newStack(t, server.Config{APIKey: "k", QueueSize: 256})
	// The stalled client's socket gets a small receive buffer; with the
	// kernel's autotuning it could swallow tens of megabytes first.
	dialer := *websocket.DefaultDialer
	dialer.NetDial = func(network, addr string) (net.Conn, error) {
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8192)
			})
			return errors.Join(err, serr)
		}}
		return d.Dial(network, addr)
	}
	ws, _, err := dialer.Dial("ws"+strings.TrimPrefix(s.http.URL, "http")+"/ws?user=stalled", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	stalled := &client{T: t, WS: ws, User: "stalled"}
	stalled.Expect("hello", frame{})
	active := s.dial("active")
	for _, c := range []*client{stalled, active} {
		c.Send(frame{"op": "join", "room": "busy"})
		c.Expect("snapshot", frame{})
	}
	slowClosed := func() bool {
		resp, err := http.Get(s.http.URL + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), "\nchatstate_slow_client_disconnects_total 1\n")
	}
	// The active client counts messages as they come.
	var received atomic.Int64
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			_ = active.WS.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, data, err := active.WS.ReadMessage()
			if err != nil {
				return
			}
			if strings.Contains(string(data), `"type":"message"`) {
				received.Add(1)
			}
		}
	}()
	text := strings.Repeat("z", 4000)
	var posted atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 2000; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if st, out := post(t, s.http.URL+"/api/rooms/busy/messages", "k", `{"user":"pub","text":"`+text+`"}`); st != 200 {
					t.Errorf("post: %d %v", st, out)
					return
				}
				posted.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(60 * time.Second)
	for !slowClosed() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if !slowClosed() {
		t.Fatalf("the stalled client was not closed after %d messages", posted.Load())
	}
	// The stalled client reads what was buffered, then the close.
	_ = stalled.WS.SetReadDeadline(time.Now().Add(30 * time.Second))
	for err == nil {
		_, _, err = stalled.WS.ReadMessage()
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != server.CloseSlowClient || ce.Text == "" {
		t.Fatalf("stalled client ended with %v, want close 4008 with a reason", err)
	}
	// Meanwhile the active member got every message.
	want := posted.Load()
	deadline = time.Now().Add(30 * time.Second)
	for received.Load() < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := received.Load(); got != want {
		t.Fatalf("active client received %d of %d messages", got, want)
	}
	_ = active.WS.Close()
	<-readerDone
	t.Logf("posted %d messages", want)
}
