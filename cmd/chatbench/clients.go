package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// client is one WebSocket session, member of one room. Its read loop is the
// only goroutine that touches the receive counters until it ends.
type client struct {
	n    int // client number
	user string
	room int // room number
	ws   *websocket.Conn
	wmu  sync.Mutex // one writer at a time: publisher and close

	// seen has a bit per message of the room (message id / rooms) that
	// arrived; receive-side counters follow.
	seen      []uint64
	dups      int64
	reorders  int64
	foreign   int64 // bench messages of another room or unknown id
	closeCode int   // close code the server sent, 0 if none
	closeErr  string
	done      chan struct{}
}

// fleet is every client of the run and what they measure together.
type fleet struct {
	cfg     config
	marker  []byte
	byRoom  [][]*client
	all     []*client
	ledger  *ledger
	lat     *latencies
	connect *latencies

	delivered   atomic.Int64 // first arrivals of bench messages
	measured    atomic.Int64 // first arrivals of messages after the warmup
	joinRetries atomic.Int64 // joins answered unavailable and tried again
	closing     atomic.Bool  // we are closing: read errors are expected
	warmupCount int
}

func newFleet(cfg config, led *ledger) *fleet {
	return &fleet{
		cfg: cfg, ledger: led,
		marker:      []byte(`"text":"` + payloadHeader(cfg.Run)),
		byRoom:      make([][]*client, cfg.Rooms),
		lat:         newLatencies(64),
		connect:     newLatencies(16),
		warmupCount: cfg.warmupCount(),
	}
}

// connectAll dials every client, joins its room with no history and waits
// for the snapshot; cfg.DialConcurrency dials run at once. It returns the
// first failures (at most 5) and how many there were.
func (f *fleet) connectAll(ctx context.Context) (failures []string, failed int) {
	perRoom := (f.cfg.total() + f.cfg.Rooms - 1) / f.cfg.Rooms
	sem := make(chan struct{}, f.cfg.DialConcurrency)
	var mu sync.Mutex
	var wg sync.WaitGroup
	clients := make([]*client, f.cfg.Clients)
	for i := range f.cfg.Clients {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c := &client{n: i, user: userName(f.cfg.Run, i), room: i % f.cfg.Rooms,
				seen: make([]uint64, (perRoom+63)/64), done: make(chan struct{})}
			start := time.Now()
			if err := f.dial(ctx, c); err != nil {
				mu.Lock()
				failed++
				if len(failures) < 5 {
					failures = append(failures, fmt.Sprintf("%s: %v", c.user, err))
				}
				mu.Unlock()
				return
			}
			f.connect.record(i, time.Since(start))
			clients[i] = c
			go f.readLoop(c)
		}()
	}
	wg.Wait()
	for _, c := range clients {
		if c != nil {
			f.all = append(f.all, c)
			f.byRoom[c.room] = append(f.byRoom[c.room], c)
		}
	}
	return failures, failed
}

var dialer = websocket.Dialer{HandshakeTimeout: 15 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 4096}

// dialWS opens a WebSocket to url; a refused handshake's error carries
// the start of the server's answer.
func dialWS(ctx context.Context, url string) (*websocket.Conn, error) {
	ws, resp, err := dialer.DialContext(ctx, url, nil)
	if err != nil && resp != nil {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return nil, fmt.Errorf("%w: %s", err, body)
	}
	return ws, err
}

// dial connects c, reads the hello and joins the room.
func (f *fleet) dial(ctx context.Context, c *client) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, err := dialWS(ctx, f.cfg.wsURL(c.user))
	if err != nil {
		return err
	}
	c.ws = ws
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	var first struct{ Op, Code, Message string }
	if err := ws.ReadJSON(&first); err != nil || first.Op != "hello" {
		_ = ws.Close()
		return fmt.Errorf("no hello: %v %s %s", err, first.Code, first.Message)
	}
	// A join the server cannot answer in time (unavailable) is tried
	// again after a pause, as a real client would; retries are counted.
	for try := 0; ; try++ {
		err := f.join(c)
		if err == nil {
			_ = ws.SetReadDeadline(time.Time{})
			return nil
		}
		var je joinError
		if !errors.As(err, &je) || je.code != "unavailable" || try >= f.cfg.JoinRetries || ctx.Err() != nil {
			_ = ws.Close()
			return err
		}
		f.joinRetries.Add(1)
		sleep(ctx, time.Duration(try+1)*500*time.Millisecond)
	}
}

// joinError is an error frame that answered a join.
type joinError struct{ code, message string }

func (e joinError) Error() string { return "join: " + e.code + ": " + e.message }

// join sends the join of c's room, history 0, and reads up to its snapshot.
func (f *fleet) join(c *client) error {
	join := map[string]any{"op": "join", "room": roomName(f.cfg.Run, c.room), "history": 0, "ref": "join"}
	if err := c.ws.WriteJSON(join); err != nil {
		return err
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		var fr struct{ Op, Code, Message string }
		_, data, err := c.ws.ReadMessage()
		if err == nil {
			err = json.Unmarshal(data, &fr)
		}
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
		switch fr.Op {
		case "snapshot":
			return nil
		case "error":
			return joinError{fr.Code, fr.Message}
		}
	}
}

// readLoop receives frames until the socket closes, recording each bench
// message's delivery latency and accounting for it.
func (f *fleet) readLoop(c *client) {
	defer close(c.done)
	buf := make([]byte, 0, f.cfg.Payload+512)
	last := int64(-1)
	for {
		_, r, err := c.ws.NextReader()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.closeCode = ce.Code
			}
			if !f.closing.Load() {
				c.closeErr = err.Error()
			}
			return
		}
		buf, err = readAll(buf[:0], r)
		if err != nil {
			continue // the next NextReader reports the broken socket
		}
		now := time.Now().UnixNano()
		p, ok := parseEvent(buf, f.marker)
		if !ok {
			f.other(buf, now)
			continue
		}
		if p.cursor <= last {
			c.reorders++
		}
		last = p.cursor
		if p.bench {
			f.account(c, p, now)
		}
	}
}

// account records one delivery of a bench message to c.
func (f *fleet) account(c *client, p parsed, now int64) {
	if p.id < 0 || p.id >= len(f.ledger.state) || p.id%f.cfg.Rooms != c.room {
		c.foreign++
		return
	}
	k := p.id / f.cfg.Rooms
	if c.seen[k/64]&(1<<(k%64)) != 0 {
		c.dups++
		return
	}
	c.seen[k/64] |= 1 << (k % 64)
	f.delivered.Add(1)
	if p.id >= f.warmupCount {
		f.measured.Add(1)
		f.lat.record(c.n, time.Duration(now-p.sendNs))
	}
}

// other handles frames that are not events: acks and errors of sends.
func (f *fleet) other(frame []byte, now int64) {
	if id, ok := parseAck(frame); ok {
		f.ledger.acked(id, now)
		return
	}
	if code, ref, ok := parseError(frame); ok {
		f.ledger.failed(ref, code)
	}
}

// readAll appends everything r holds to buf.
func readAll(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// closeAll closes every socket with a normal close and waits for the read
// loops to end (the server answers the close), at most timeout.
func (f *fleet) closeAll(timeout time.Duration) {
	f.closing.Store(true)
	deadline := time.Now().Add(timeout)
	sem := make(chan struct{}, f.cfg.DialConcurrency)
	var wg sync.WaitGroup
	for _, c := range f.all {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bench done")
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			select {
			case <-c.done:
			case <-time.After(time.Until(deadline)):
			}
			_ = c.ws.Close()
			<-c.done
		}()
	}
	wg.Wait()
}
