package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// TestJoinsDuringAFloodSeeEveryEventOnce: messages are posted to a room
// without pause while clients join it one after the other, most of them
// answered from the server's copy of the room, every third resuming from
// the cursor the previous one's snapshot had. Each client's snapshot, its
// resumed events and its stream together hold exactly the room's events in
// the log after its cursor, in order: nothing lost between the snapshot
// and the stream, nothing twice.
func TestJoinsDuringAFloodSeeEveryEventOnce(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{APIKey: "k", JoinRate: 1e6, JoinBurst: 1e6})
	base := s.http.URL
	postText := func(text string) error {
		req, _ := http.NewRequest("POST", base+"/api/rooms/f/messages", strings.NewReader(`{"user":"poster","text":"`+text+`"}`))
		req.Header.Set("Authorization", "Bearer k")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("post %s: %d", text, resp.StatusCode)
		}
		return nil
	}
	if err := postText("first"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var posted atomic.Int64
	var poster sync.WaitGroup
	poster.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := postText(fmt.Sprint("m", i)); err != nil {
				t.Error(err)
				return
			}
			posted.Add(1)
		}
	})

	type joined struct {
		c     *client
		after int64   // the events expected are those after it
		got   []int64 // the cursors the client was given, in order
	}
	var clients []*joined
	prev := int64(-1)
	for i := range 24 {
		// Messages flow between the joins, not only beside them.
		since := posted.Load()
		testenv.WaitFor(t, 20*time.Second, func() error {
			if posted.Load() < since+3 {
				return fmt.Errorf("%d messages posted, want %d", posted.Load(), since+3)
			}
			return nil
		})
		c := s.dial(fmt.Sprint("j", i))
		j := frame{"op": "join", "room": "f", "history": 0}
		if i%3 == 2 {
			j = frame{"op": "join", "room": "f", "after": prev, "epoch": s.srv.Epoch()}
		}
		c.Send(j)
		snap := c.Expect("snapshot", frame{"room": "f", "truncated": false})
		cursor := int64(snap["cursor"].(float64))
		cl := &joined{c: c, after: cursor}
		if i%3 == 2 {
			if snap["resumed"] != true {
				t.Fatalf("j%d: not resumed from %d", i, prev)
			}
			cl.after = prev
			got, _ := cursors(t, snap)
			cl.got = got
		}
		clients = append(clients, cl)
		prev = cursor
	}
	close(stop)
	poster.Wait()
	if err := postText("end"); err != nil {
		t.Fatal(err)
	}

	// Everyone reads up to "end"; then the log says what each should have.
	for _, cl := range clients {
		for {
			f := cl.c.Next()
			if f["op"] != "event" {
				t.Fatalf("%s: got %v, want events", cl.c.User, f)
			}
			cl.got = append(cl.got, int64(f["cursor"].(float64)))
			if f["event"].(map[string]any)["text"] == "end" {
				break
			}
		}
	}
	var page struct {
		Events []logEntry
		Next   int64
	}
	var log []logEntry
	for after := int64(-1); ; after = page.Next {
		page.Events = nil
		getJSON(t, fmt.Sprintf("%s/api/rooms/f/events?after=%d&limit=1000", base, after), &page)
		if len(page.Events) == 0 {
			break
		}
		log = append(log, page.Events...)
	}
	for _, cl := range clients {
		var want []int64
		for _, e := range log {
			if e.Cursor > cl.after && e.Cursor <= cl.got[len(cl.got)-1] {
				want = append(want, e.Cursor)
			}
		}
		if fmt.Sprint(cl.got) != fmt.Sprint(want) {
			t.Errorf("%s (after %d): given %d events %v,\nthe log has %d %v", cl.c.User, cl.after, len(cl.got), cl.got, len(want), want)
		}
	}
	if n := counter(t, base, "chatstate_joins_from_memory_total"); n < len(clients)-1 {
		t.Errorf("%d of %d joins answered from memory, want all but the first", n, len(clients))
	}
}
