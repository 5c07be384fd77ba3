package server_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// TestProcessorRestartMidStream stops the processors while 100 clients send,
// starts new ones (one of them on a fresh state dir, so it recovers its
// table from Kafka) and checks that no message is counted twice or lost.
func TestProcessorRestartMidStream(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{SendRate: 1000, SendBurst: 1000})
	const senders, perSender, rooms = 100, 10, 10
	clients := make([]*client, senders)
	for i := range clients {
		clients[i] = s.dial(fmt.Sprintf("u%d", i))
		clients[i].Send(frame{"op": "join", "room": fmt.Sprintf("room%d", i%rooms)})
		clients[i].Expect("snapshot", frame{})
	}
	var acked [rooms]int
	var lastAck [rooms]float64
	var mu sync.Mutex
	var wg sync.WaitGroup
	restart := make(chan struct{})
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range perSender {
				if i == 0 && n == perSender/2 {
					close(restart)
				}
				c.Send(frame{"op": "send", "room": fmt.Sprintf("room%d", i%rooms), "text": fmt.Sprint(n), "ref": n})
			}
		}()
	}
	// Readers count acks; events of the room are passed over.
	var rg sync.WaitGroup
	for i, c := range clients {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for got := 0; got < perSender; {
				f := c.Next()
				if f["op"] == "ack" {
					got++
					mu.Lock()
					acked[i%rooms]++
					lastAck[i%rooms] = max(lastAck[i%rooms], f["cursor"].(float64))
					mu.Unlock()
				} else if f["op"] == "error" {
					t.Errorf("%s: %v", c.User, f)
					return
				}
			}
		}()
	}
	<-restart
	s.stopProc()
	runProcessors(t, s.kcfg, t.TempDir())
	wg.Wait()
	rg.Wait()
	for r := range rooms {
		testenv.WaitFor(t, 30*time.Second, func() error {
			var room map[string]any
			getJSON(t, fmt.Sprintf("%s/api/rooms/room%d", s.http.URL, r), &room)
			mu.Lock()
			defer mu.Unlock()
			// At the cursor of the last acked message the count is final:
			// equal there means nothing was lost or counted twice.
			if room["cursor"] != lastAck[r] || room["messages"] != float64(acked[r]) {
				return fmt.Errorf("room%d at cursor %v counts %v messages; %d were acked, the last at %v", r, room["cursor"], room["messages"], acked[r], lastAck[r])
			}
			return nil
		})
	}
}
