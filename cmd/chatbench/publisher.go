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
	"time"

	"github.com/gorilla/websocket"
)

// publisher sends the run's messages at the target rate. Message i is due
// at start + i/rate: due times are computed, not ticked, so the schedule
// does not drift, and a publisher that falls behind catches up at once and
// reports how far behind it was. Workers do the sending, so that one slow
// send does not hold up the schedule.
type publisher struct {
	cfg    config
	fleet  *fleet
	ledger *ledger
	http   *http.Client
	start  time.Time // when message 0 was due; set before the workers start
	lagMu  sync.Mutex
	maxLag time.Duration // how late the latest message left against its due time
}

func newPublisher(cfg config, f *fleet, led *ledger) *publisher {
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.Workers, MaxConnsPerHost: cfg.Workers, IdleConnTimeout: time.Minute}
	return &publisher{cfg: cfg, fleet: f, ledger: led, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// run publishes every message of the run, or stops early when ctx is done,
// and returns once every send has been answered (or failed).
func (p *publisher) run(ctx context.Context) {
	total := p.cfg.total()
	p.start = time.Now()
	jobs := make(chan int, p.cfg.Workers)
	var wg sync.WaitGroup
	for w := range p.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, p.cfg.Payload+256)
			for id := range jobs {
				buf = p.send(ctx, w, id, buf)
			}
		}()
	}
	for id := 0; id < total && ctx.Err() == nil; id++ {
		due := p.due(id)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		select {
		case jobs <- id:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	p.http.CloseIdleConnections()
}

// sender returns the member of message id's room that sends it: members
// take turns.
func (p *publisher) sender(id int) *client {
	members := p.fleet.byRoom[id%p.cfg.Rooms]
	if len(members) == 0 {
		return nil
	}
	return members[(id/p.cfg.Rooms)%len(members)]
}

// send publishes message id; buf is scratch space returned for reuse.
func (p *publisher) send(ctx context.Context, worker, id int, buf []byte) []byte {
	c := p.sender(id)
	if c == nil {
		p.ledger.failed(id, "room has no connected member")
		return buf
	}
	room := roomName(p.cfg.Run, c.room)
	now := time.Now()
	p.noteLag(now, id)
	buf = makePayload(buf, p.cfg.Run, id, now.UnixNano(), p.cfg.Payload)
	p.ledger.sent(id, now.UnixNano())
	if p.cfg.Publish == "ws" {
		// The text is plain ASCII that JSON leaves as it is.
		frame := fmt.Appendf(nil, `{"op":"send","room":%q,"ref":%d,"text":"%s"}`, room, id, buf)
		c.wmu.Lock()
		_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
		err := c.ws.WriteMessage(websocket.TextMessage, frame)
		c.wmu.Unlock()
		if err != nil {
			p.ledger.failed(id, "ws write failed")
		}
		return buf // the ack arrives on the client's read loop
	}
	body, _ := json.Marshal(map[string]string{"user": c.user, "text": string(buf)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		p.cfg.URL+"/api/rooms/"+url.PathEscape(room)+"/messages", bytes.NewReader(body))
	if err != nil {
		p.ledger.failed(id, "request: "+err.Error())
		return buf
	}
	req.Header.Set("Authorization", "Bearer "+p.cfg.APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.http.Do(req)
	if err != nil {
		p.ledger.failed(id, "http error")
		return buf
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(answer, &e)
		p.ledger.failed(id, "http "+strconv.Itoa(resp.StatusCode)+" "+e.Error.Code)
		return buf
	}
	p.ledger.acked(id, time.Now().UnixNano())
	return buf
}

// due is when message id should leave.
func (p *publisher) due(id int) time.Time {
	return p.start.Add(time.Duration(float64(id) * float64(time.Second) / p.cfg.Rate))
}

// noteLag records how late message id leaves against its due time.
func (p *publisher) noteLag(now time.Time, id int) {
	lag := now.Sub(p.due(id))
	p.lagMu.Lock()
	p.maxLag = max(p.maxLag, lag)
	p.lagMu.Unlock()
}

func (p *publisher) lag() time.Duration {
	p.lagMu.Lock()
	defer p.lagMu.Unlock()
	return p.maxLag
}
