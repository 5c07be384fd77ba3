package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// The reconnect storm: what happens when a server restarts and all its
// clients reconnect and resume at once. Clients, each a member of
// --storm-rooms rooms, connect and join; messages are published to every
// room and delivered; every connection is cut at the same moment; more
// messages are published while the clients are away; then every client
// reconnects at once (--storm-concurrency in flight) and joins its rooms
// again after the last cursor it received in each. The storm lasts from the
// first reconnect until every client has every resume answered. Every
// message must reach every member of its room exactly once across the cut:
// live before it, in the resume (or live) after it.

// stormLedger is every message of the storm: its room, and once the server
// acknowledged it, its cursor. Publishing writes each index from one
// goroutine and the fleet reads them after publishing ended.
type stormLedger struct {
	rooms  int
	room   []int
	cursor []int64
	acked  []bool

	mu     sync.Mutex
	errors map[string]int
}

// newStormLedger numbers the messages: history rounds, then away rounds,
// one message per room in each, message id of room r in round k being
// k·rooms + r.
func newStormLedger(rooms, rounds int) *stormLedger {
	l := &stormLedger{rooms: rooms, room: make([]int, rooms*rounds), cursor: make([]int64, rooms*rounds),
		acked: make([]bool, rooms*rounds), errors: map[string]int{}}
	for id := range l.room {
		l.room[id] = id % rooms
	}
	return l
}

func (l *stormLedger) failed(code string) {
	l.mu.Lock()
	l.errors[code]++
	l.mu.Unlock()
}

// stormFleet is the storm's clients and what they count together.
type stormFleet struct {
	cfg     config
	marker  []byte // `"text":"` and the payload header
	header  string
	led     *stormLedger
	clients []*stormClient
	members []int64 // connected clients per room

	delivered   atomic.Int64 // first receipts of messages, over both connections
	joinRetries atomic.Int64
	closing     atomic.Bool // the fleet closes or cuts: read errors are expected
}

// connectAll connects every client in cs, at most conc at once, and
// records each one's time from its dial to its last join answered. It
// returns the clients that connected, the first failures (at most 5), and
// when the last client was answered.
func (f *stormFleet) connectAll(ctx context.Context, cs []*stormClient, conc int, resume bool, lat *latencies) (ok []*stormClient, failures []string, last time.Time) {
	sem := make(chan struct{}, conc)
	var mu sync.Mutex
	var wg sync.WaitGroup
	done := make([]bool, len(cs))
	for i, c := range cs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			err := c.connect(ctx, f, resume)
			end := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if len(failures) < 5 {
					failures = append(failures, fmt.Sprintf("%s: %v", c.user, err))
				}
				return
			}
			lat.record(c.n, end.Sub(start))
			c.resumedAt, done[i] = end, true
			if end.After(last) {
				last = end
			}
		}()
	}
	wg.Wait()
	for i, c := range cs {
		if done[i] {
			ok = append(ok, c)
		}
	}
	return ok, failures, last
}

// cut closes every connection at once, without a close frame, and waits
// for the read loops to end.
func (f *stormFleet) cut() {
	f.closing.Store(true)
	for _, c := range f.clients {
		_ = c.ws.Close()
	}
	for _, c := range f.clients {
		<-c.done
	}
	f.closing.Store(false)
}

// closeAll closes every connection normally, at most timeout for the
// server's answer, and waits for the read loops to end.
func (f *stormFleet) closeAll(timeout time.Duration) {
	f.closing.Store(true)
	deadline := time.Now().Add(timeout)
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bench done")
	for _, c := range f.clients {
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	}
	for _, c := range f.clients {
		select {
		case <-c.done:
		case <-time.After(time.Until(deadline)):
		}
		_ = c.ws.Close()
		<-c.done
	}
}

// publish posts messages ids over HTTP, cfg.Workers at once, and records
// the cursor of each one acknowledged.
func (f *stormFleet) publish(ctx context.Context, ids []int) {
	tr := &http.Transport{MaxIdleConnsPerHost: f.cfg.Workers, MaxConnsPerHost: f.cfg.Workers}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range f.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, f.cfg.Payload)
			for id := range jobs {
				buf = makePayload(buf, f.cfg.Run, id, time.Now().UnixNano(), f.cfg.Payload)
				cursor, err := f.post(ctx, hc, id, string(buf))
				if err != nil {
					f.led.failed(err.Error())
					continue
				}
				f.led.cursor[id], f.led.acked[id] = cursor, true
			}
		}()
	}
	for _, id := range ids {
		select {
		case jobs <- id:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
}

// post publishes message id and returns its cursor; the error is a short
// code to count failures by.
func (f *stormFleet) post(ctx context.Context, hc *http.Client, id int, text string) (int64, error) {
	body, _ := json.Marshal(map[string]string{"user": "bench-" + f.cfg.Run + "-pub", "text": text})
	room := roomName(f.cfg.Run, f.led.room[id])
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.cfg.URL+"/api/rooms/"+url.PathEscape(room)+"/messages", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+f.cfg.APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("http error")
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var a struct {
		Cursor *int64 `json:"cursor"`
		Error  struct{ Code string }
	}
	_ = json.Unmarshal(answer, &a)
	if resp.StatusCode != http.StatusOK || a.Cursor == nil {
		return 0, fmt.Errorf("http %s %s", strconv.Itoa(resp.StatusCode), a.Error.Code)
	}
	return *a.Cursor, nil
}

// expected is how many receipts the acknowledged messages owe: one to
// every connected member of their room.
func (f *stormFleet) expected() int64 {
	var n int64
	for id, ok := range f.led.acked {
		if ok {
			n += f.members[f.led.room[id]]
		}
	}
	return n
}

// drain waits until every acknowledged message reached every member, or
// timeout passes.
func (f *stormFleet) drain(ctx context.Context, timeout time.Duration) {
	want := f.expected()
	deadline := time.Now().Add(timeout)
	for f.delivered.Load() < want && time.Now().Before(deadline) && ctx.Err() == nil {
		sleep(ctx, 20*time.Millisecond)
	}
}

// ids returns the message ids of rounds [from, to).
func (f *stormFleet) ids(from, to int) []int {
	var out []int
	for id := from * f.cfg.Rooms; id < to*f.cfg.Rooms; id++ {
		out = append(out, id)
	}
	return out
}
