package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
	"github.com/gorilla/websocket"
)

func TestConnectionAndRoomLimits(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{MaxConnsPerUser: 2, MaxRooms: 2})
	a1 := s.dial("amy")
	s.dial("amy")
	url := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/ws?user=amy"
	if _, resp, err := websocket.DefaultDialer.Dial(url, nil); err == nil || resp == nil || resp.StatusCode != 429 {
		t.Fatalf("third connection of amy: %v %v, want 429", resp, err)
	}
	for _, room := range []string{"one", "two"} {
		a1.Send(frame{"op": "join", "room": room})
		a1.Expect("snapshot", frame{"room": room})
		a1.ExpectEvent(room, "join", "amy")
	}
	a1.Send(frame{"op": "join", "room": "three", "ref": "x"})
	a1.Expect("error", frame{"code": "forbidden", "ref": "x"})
	// Closing one frees a place.
	_ = a1.WS.Close()
	testenv.WaitFor(t, 10*time.Second, func() error {
		ws, resp, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			return fmt.Errorf("%v %v", resp, err)
		}
		ws.Close()
		return nil
	})
}

// TestSilentClientIsDropped: a client that never answers pings (as behind a
// half-open TCP connection) is dropped, its session leaves, and the server
// logs why, once, and of no one else.
func TestSilentClientIsDropped(t *testing.T) {
	t.Parallel()
	logs := &testenv.SyncBuffer{}
	s := newStack(t, server.Config{PingInterval: 200 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	watcher := s.dial("watcher")
	watcher.Send(frame{"op": "join", "room": "r"})
	watcher.Expect("snapshot", frame{})
	watcher.ExpectEvent("r", "join", "watcher")

	mute := s.dial("mute")
	mute.Send(frame{"op": "join", "room": "r"})
	// From now on mute reads nothing, so it answers no ping.
	watcher.ExpectEvent("r", "join", "mute")
	// The watcher keeps reading, so it answers pings and stays.
	watcher.ExpectEvent("r", "leave", "mute")
	watcher.Send(frame{"op": "ping", "ref": 1})
	watcher.Expect("pong", frame{"ref": 1})
	if got := strings.Count(logs.String(), `msg="client dropped"`); got != 1 ||
		!strings.Contains(logs.String(), `msg="client dropped" user=mute`) || !strings.Contains(logs.String(), `reason="no pong within two ping intervals"`) {
		t.Fatalf("want one log line of mute dropped for its silence, got %d in:\n%s", got, logs.String())
	}
}

// TestInvalidRecordsAreCounted: records another producer wrote that do not
// validate never reach clients, and the server counts them.
func TestInvalidRecordsAreCounted(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	c := s.dial("reader")
	c.Send(frame{"op": "join", "room": "clean"})
	c.Expect("snapshot", frame{})
	c.ExpectEvent("clean", "join", "reader")
	p := testenv.Producer(t, s.kcfg.Brokers, s.kcfg.Sarama("test"))
	for _, v := range []string{"garbage", `{"v":1,"id":"x","type":"message","room":"clean","user":"-no","ts":"2026-01-01T00:00:00.000Z","text":"t"}`} {
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: string(s.kcfg.Names.Events), Key: sarama.StringEncoder("clean"), Value: sarama.StringEncoder(v)}); err != nil {
			t.Fatal(err)
		}
	}
	c.Send(frame{"op": "send", "room": "clean", "text": "valid", "ref": 1})
	c.AckAndEcho(1) // the next frame after the ack is the valid message, nothing invalid
	resp, err := http.Get(s.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "\nchatstate_invalid_records_total 2\n") {
		t.Fatalf("metrics do not count 2 invalid records")
	}
}
