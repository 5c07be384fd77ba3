package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// TestDevSurvivesSIGKILL kills `chatstate dev` with SIGKILL in the middle of
// a burst of sends from many clients and restarts it on the same data dir.
// Every acked message must be in its room's history exactly once and in
// order, and the room's count must equal what the history holds. A message
// Kafka took just before the kill may lack its ack (the process died before
// sending it): such a message may be in the log, at most one per client,
// since a connection's requests are answered one at a time.
func TestDevSurvivesSIGKILL(t *testing.T) {
	data := t.TempDir()
	d := startDev(t, data, "--send-rate", "1000", "--send-burst", "1000")
	const clients, rooms, perClient = 20, 4, 200
	var mu sync.Mutex
	acked := map[string]bool{} // text → acked
	var wg sync.WaitGroup
	killed := make(chan struct{})
	for i := range clients {
		c := testenv.Dial(t, d.url, fmt.Sprintf("u%d", i))
		room := fmt.Sprintf("burst%d", i%rooms)
		c.Send(testenv.Frame{"op": "join", "room": room})
		c.Expect("snapshot", testenv.Frame{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range perClient {
				if c.WS.WriteJSON(testenv.Frame{"op": "send", "room": room, "text": fmt.Sprintf("u%d-%d", i, n), "ref": n}) != nil {
					break
				}
			}
			for {
				_ = c.WS.SetReadDeadline(time.Now().Add(30 * time.Second))
				var f map[string]any
				if c.WS.ReadJSON(&f) != nil {
					return
				}
				if f["op"] == "ack" {
					mu.Lock()
					acked[fmt.Sprintf("u%d-%v", i, f["ref"])] = true
					n := len(acked)
					mu.Unlock()
					if n == clients*perClient/4 {
						close(killed)
					}
				}
			}
		}()
	}
	<-killed
	if err := d.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = d.cmd.Wait()
	wg.Wait()
	mu.Lock()
	t.Logf("%d messages acked before the kill", len(acked))
	mu.Unlock()

	d = startDev(t, data)
	for r := range rooms {
		room := fmt.Sprintf("burst%d", r)
		texts, lastCursor := roomMessages(t, d.url, room)
		var info map[string]any
		getJSON(t, d.url+"/api/rooms/"+room, &info)
		if int(info["messages"].(float64)) != len(texts) || int64(info["cursor"].(float64)) != lastCursor {
			t.Errorf("%s: the table says %v messages at cursor %v; the log holds %d up to %d", room, info["messages"], info["cursor"], len(texts), lastCursor)
		}
		seen := map[string]bool{}
		last := map[string]int{}
		unacked := map[string]int{}
		for _, text := range texts {
			if seen[text] {
				t.Errorf("%s holds %s twice", room, text)
			}
			seen[text] = true
			user, n, _ := strings.Cut(text, "-")
			num, _ := strconv.Atoi(n)
			if prev, ok := last[user]; ok && num <= prev {
				t.Errorf("%s: %s after %s-%d", room, text, user, prev)
			}
			last[user] = num
			if !acked[text] {
				unacked[user]++
			}
		}
		for user, n := range unacked {
			if n > 1 {
				t.Errorf("%s holds %d unacked messages of %s; at most one may be in flight", room, n, user)
			}
		}
		for text := range acked {
			user, _, _ := strings.Cut(text, "-")
			var i int
			fmt.Sscanf(user, "u%d", &i)
			if i%rooms == r && !seen[text] {
				t.Errorf("acked message %s is missing from %s", text, room)
			}
		}
	}
	// Every member's unread count is exact: the messages of others after
	// their first join, as the log holds them, whatever the kill cut off.
	joined := map[string][]string{}
	for i := range clients {
		joined[fmt.Sprintf("u%d", i)] = []string{fmt.Sprintf("burst%d", i%rooms)}
	}
	checkUnread(t, []string{d.url}, joined)
	d.stop(t)
}

// event is an entry of GET /api/rooms/{room}/events.
type event struct {
	Cursor int64
	Event  map[string]any
}

// roomEvents pages through the room's events over the HTTP API.
func roomEvents(t *testing.T, base, room string) []event {
	t.Helper()
	var out []event
	after := int64(-1)
	for range 1000 {
		var page struct {
			Events []event
			Next   int64
		}
		// A server may answer 503 for a moment after a broker came back
		// (a connection to it found broken): that is a "not yet".
		url := fmt.Sprintf("%s/api/rooms/%s/events?after=%d&limit=1000", base, room, after)
		testenv.WaitFor(t, 30*time.Second, func() error { return fetchJSON(url, &page) })
		out = append(out, page.Events...)
		if page.Next == after {
			return out
		}
		after = page.Next
	}
	t.Fatalf("%s: paging did not end", room)
	return nil
}

// roomMessages returns the texts of the room's messages in cursor order,
// and the last event's cursor, read over the HTTP API.
func roomMessages(t *testing.T, base, room string) (texts []string, last int64) {
	t.Helper()
	last = -1
	for _, e := range roomEvents(t, base, room) {
		last = e.Cursor
		if e.Event["type"] == "message" {
			texts = append(texts, e.Event["text"].(string))
		}
	}
	return texts, last
}

func getJSON(t *testing.T, url string, into any) {
	t.Helper()
	if err := fetchJSON(url, into); err != nil {
		t.Fatal(err)
	}
}

// fetchJSON is getJSON for polling loops: a not-yet answer is an error to
// retry, not a failure.
func fetchJSON(url string, into any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, bytes.TrimSpace(body))
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}
