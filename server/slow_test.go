package server_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/gorilla/websocket"
)

// TestSlowClientIsClosed4008 stalls one client in a busy room of 50 active
// ones: its queue fills and it is closed with 4008, while every active member
// receives every message (their delivery latency is reported, not asserted:
// the machine is shared). Kernel buffers are made small on both ends so
// that the stall shows soon; the queue is not made tiny, since on a loaded
// machine a healthy client's writer may wait some milliseconds for a CPU.
func TestSlowClientIsClosed4008(t *testing.T) {
	t.Parallel()
	s := &stack{t: t, kcfg: testenv.Kafka(t, 4), dir: t.TempDir()}
	s.stopProc = runProcessors(t, s.kcfg, s.dir)
	logs := &testenv.SyncBuffer{}
	s.srv, s.http, s.stopSrv = startServerSized(t, s.kcfg, s.dir, server.Config{ServerID: "s1", APIKey: "k", QueueSize: 128,
		Logger: slog.New(slog.NewTextHandler(logs, nil))}, 16<<10)
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
	members := []*client{stalled}
	for i := range 50 {
		members = append(members, s.dial(fmt.Sprintf("active%d", i)))
	}
	for _, c := range members {
		c.Send(frame{"op": "join", "room": "busy"})
		c.Expect("snapshot", frame{})
	}
	actives := members[1:]
	slowClosed := func() bool {
		return !strings.Contains(scrape(t, s.http.URL), "\nchatstate_slow_client_disconnects_total 0\n")
	}
	// Each active member counts messages as they come, and the worst
	// delivery latency: every text starts with its send time.
	received := make([]atomic.Int64, len(actives))
	var worst atomic.Int64
	var readers sync.WaitGroup
	for i, c := range actives {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				_ = c.WS.SetReadDeadline(time.Now().Add(30 * time.Second))
				var f struct {
					Event struct{ Type, Text string }
				}
				if c.WS.ReadJSON(&f) != nil {
					return
				}
				if f.Event.Type != "message" {
					continue
				}
				received[i].Add(1)
				sent, _, _ := strings.Cut(f.Event.Text, "|")
				if ns, err := strconv.ParseInt(sent, 10, 64); err == nil {
					lat := time.Now().UnixNano() - ns
					for old := worst.Load(); lat > old && !worst.CompareAndSwap(old, lat); old = worst.Load() {
					}
				}
			}
		}()
	}
	pad := strings.Repeat("z", 4000)
	var posted atomic.Int64
	// The posters keep at most window messages ahead of the slowest active
	// member (each message is two frames to it, the event and its unread
	// count): on a fast idle machine four posters outran the actives'
	// queues of 128 frames, and every member was closed as slow.
	const window = 16
	slowest := func() int64 {
		least := received[0].Load()
		for i := range received {
			least = min(least, received[i].Load())
		}
		return least
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 2000; n++ {
				for posted.Load()-slowest() >= window {
					select {
					case <-stop:
						return
					case <-time.After(time.Millisecond):
					}
				}
				select {
				case <-stop:
					return
				default:
				}
				text := fmt.Sprintf("%d|%s", time.Now().UnixNano(), pad)
				if st, out := post(t, s.http.URL+"/api/rooms/busy/messages", "k", `{"user":"pub","text":"`+text+`"}`); st != 200 {
					t.Errorf("post: %d %v", st, out)
					return
				}
				posted.Add(1)
			}
		}()
	}
	// The bound is in bytes and frames, not time: a loaded machine only
	// takes longer to post enough, hence the generous deadline.
	deadline := time.Now().Add(3 * time.Minute)
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
		_, _, err = stalled.ReadRaw()
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != protocol.CloseSlowClient || ce.Text == "" {
		t.Fatalf("stalled client ended with %v, want close 4008 with a reason", err)
	}
	// The stalled client's whole queue was dropped, and counted; nobody
	// else has been closed yet.
	if m := scrape(t, s.http.URL); !strings.Contains(m, "\nchatstate_queue_dropped_frames_total 128\n") {
		t.Errorf("metrics do not count the 128 frames of the stalled client's queue as dropped:\n%s", m)
	}
	// The server said whom it dropped and why, once.
	if n := strings.Count(logs.String(), `msg="client dropped" user=stalled`); n != 1 ||
		!strings.Contains(logs.String(), `code=4008 reason="client too slow: its queue is full"`) {
		t.Errorf("want one log line of the stalled client's drop with code 4008, got %d in:\n%s", n, logs.String())
	}
	// Meanwhile every active member got every message.
	want := posted.Load()
	for i := range actives {
		deadline = time.Now().Add(30 * time.Second)
		for received[i].Load() < want && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if got := received[i].Load(); got != want {
			t.Errorf("%s received %d of %d messages", actives[i].User, got, want)
		}
	}
	for _, c := range actives {
		_ = c.WS.Close()
	}
	readers.Wait()
	t.Logf("posted %d messages; worst delivery latency among the active members %v", want, time.Duration(worst.Load()))
}
