package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// stormClient is one client of the reconnect storm, a member of several
// rooms. Between a connect and the end of the read loop it starts, only
// that connection's goroutine touches it; the fleet reads it after done.
type stormClient struct {
	n      int
	user   string
	rooms  []int    // room numbers
	names  []string // their names
	cursor []int64  // per room: the last cursor received, as a client remembers it
	epoch  string   // from the hello, sent back with each resume
	ws     *websocket.Conn
	done   chan struct{} // closed when the current connection's read loop ends

	seen       []uint64 // a bit per message id received
	dups       int64
	reorders   int64 // events at or below the room's cursor
	foreign    int64 // bench messages of a room the client is not in, or unknown
	stale      int64 // resumed events at or below the cursor resumed after
	notResumed int64 // resume answers with resumed false
	truncated  int64 // resume answers with truncated true
	resumedAt  time.Time
	closeErr   string
}

func newStormClient(cfg config, i, messages int) *stormClient {
	c := &stormClient{n: i, user: userName(cfg.Run, i), seen: make([]uint64, (messages+63)/64)}
	for j := range cfg.StormRooms {
		r := stormRoom(i, j, cfg.StormRooms, cfg.Rooms)
		c.rooms = append(c.rooms, r)
		c.names = append(c.names, roomName(cfg.Run, r))
		c.cursor = append(c.cursor, -1)
	}
	return c
}

// stormRoom is the j-th of k rooms of client i among rooms: spread so that
// every room has about clients·k/rooms members and a client's k rooms are
// distinct (k ≤ rooms).
func stormRoom(i, j, k, rooms int) int { return (i + j*(rooms/k)) % rooms }

// roomIndex is the index in c.rooms of the room named name, -1 if none.
func (c *stormClient) roomIndex(name []byte) int {
	for j, n := range c.names {
		if string(name) == n {
			return j
		}
	}
	return -1
}

// receive records message id in room index j; false if it is a duplicate
// or not a message of that room.
func (c *stormClient) receive(led *stormLedger, j, id int) bool {
	if id < 0 || id >= len(led.room) || led.room[id] != c.rooms[j] {
		c.foreign++
		return false
	}
	if c.seen[id/64]&(1<<(id%64)) != 0 {
		c.dups++
		return false
	}
	c.seen[id/64] |= 1 << (id % 64)
	return true
}

// connect dials, joins every room of c (resume: after its cursors) and
// reads until each join is answered, then starts the read loop.
func (c *stormClient) connect(ctx context.Context, f *stormFleet, resume bool) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	ws, err := dialWS(ctx, f.cfg.wsURL(c.user))
	if err != nil {
		return err
	}
	c.ws = ws
	_ = ws.SetReadDeadline(time.Now().Add(60 * time.Second))
	var hello struct{ Op, Epoch string }
	if err := ws.ReadJSON(&hello); err != nil || hello.Op != "hello" {
		_ = ws.Close()
		return fmt.Errorf("no hello: %v", err)
	}
	if err := c.answerJoins(ctx, f, resume); err != nil {
		_ = ws.Close()
		return err
	}
	c.epoch = hello.Epoch
	_ = ws.SetReadDeadline(time.Time{})
	c.done = make(chan struct{})
	go c.readLoop(f)
	return nil
}

// answerJoins sends a join of every room and reads until each has its
// snapshot. A join answered unavailable is sent again after a pause, as in
// the ordinary run.
func (c *stormClient) answerJoins(ctx context.Context, f *stormFleet, resume bool) error {
	for j := range c.rooms {
		if err := c.writeJoin(j, resume); err != nil {
			return err
		}
	}
	answered := make([]bool, len(c.rooms))
	tries := make([]int, len(c.rooms))
	for left := len(c.rooms); left > 0; {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("joins: %w", err)
		}
		switch {
		case bytes.HasPrefix(data, []byte(`{"op":"snapshot"`)):
			j, err := c.snapshot(f, data, resume)
			if err != nil {
				return err
			}
			if !answered[j] {
				answered[j] = true
				left--
			}
		case bytes.HasPrefix(data, errorPrefix):
			var e struct{ Code, Message, Ref string }
			_ = json.Unmarshal(data, &e)
			j, err := strconv.Atoi(strings.TrimPrefix(e.Ref, "j"))
			if err != nil || j < 0 || j >= len(c.rooms) || e.Code != "unavailable" || tries[j] >= f.cfg.JoinRetries || ctx.Err() != nil {
				return joinError{e.Code, e.Message}
			}
			tries[j]++
			f.joinRetries.Add(1)
			sleep(ctx, time.Duration(tries[j])*500*time.Millisecond)
			if err := c.writeJoin(j, resume); err != nil {
				return err
			}
		default:
			c.frame(f, data)
		}
	}
	return nil
}

// writeJoin sends the join of room index j: with no history at first, and
// after the remembered cursor (with the epoch it belongs to) on resume.
func (c *stormClient) writeJoin(j int, resume bool) error {
	join := map[string]any{"op": "join", "room": c.names[j], "history": 0, "ref": "j" + strconv.Itoa(j)}
	if resume {
		join["after"], join["epoch"] = c.cursor[j], c.epoch
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(30 * time.Second))
	return c.ws.WriteJSON(join)
}

// snapshotFrame is what the storm reads of a join's answer.
type snapshotFrame struct {
	Room      string `json:"room"`
	Cursor    int64  `json:"cursor"`
	Resumed   bool   `json:"resumed"`
	Truncated bool   `json:"truncated"`
	Events    []struct {
		Cursor int64 `json:"cursor"`
		Event  struct {
			Text string `json:"text"`
		} `json:"event"`
	} `json:"events"`
}

// snapshot accounts for a join's answer: on resume, the events after the
// cursor it returns; then the room's cursor is the snapshot's.
func (c *stormClient) snapshot(f *stormFleet, data []byte, resume bool) (int, error) {
	var s snapshotFrame
	if err := json.Unmarshal(data, &s); err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	j := c.roomIndex([]byte(s.Room))
	if j < 0 {
		return 0, fmt.Errorf("snapshot of %q, a room not joined", s.Room)
	}
	if resume {
		if !s.Resumed {
			c.notResumed++
		}
		if s.Truncated {
			c.truncated++
		}
		for _, e := range s.Events {
			if e.Cursor <= c.cursor[j] {
				c.stale++
				continue
			}
			if id, ok := benchID(e.Event.Text, f.header); ok && c.receive(f.led, j, id) {
				f.delivered.Add(1)
			}
		}
	}
	c.cursor[j] = s.Cursor
	return j, nil
}

// frame handles a frame other than a join's answer: events move the
// room's cursor and bench messages are accounted for.
func (c *stormClient) frame(f *stormFleet, data []byte) {
	p, ok := parseEvent(data, f.marker)
	if !ok {
		return
	}
	j := c.roomIndex(eventRoom(data))
	if j < 0 {
		c.foreign++
		return
	}
	if p.cursor <= c.cursor[j] {
		c.reorders++
	} else {
		c.cursor[j] = p.cursor
	}
	if p.bench && c.receive(f.led, j, p.id) {
		f.delivered.Add(1)
	}
}

// readLoop reads the connection's frames until it ends.
func (c *stormClient) readLoop(f *stormFleet) {
	defer close(c.done)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			if !f.closing.Load() {
				c.closeErr = "read error"
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					c.closeErr = fmt.Sprintf("code %d", ce.Code)
				}
			}
			return
		}
		c.frame(f, data)
	}
}

// eventRoom is the room of an event frame: the first "room" field, which
// both chatstate and the bare hub write before the event.
func eventRoom(frame []byte) []byte {
	const key = `"room":"`
	i := bytes.Index(frame, []byte(key))
	if i < 0 {
		return nil
	}
	rest := frame[i+len(key):]
	if end := bytes.IndexByte(rest, '"'); end >= 0 {
		return rest[:end]
	}
	return nil
}

// benchID is the message id of a payload of this run (header is
// payloadHeader(run)); ok is false for any other text.
func benchID(text, header string) (int, bool) {
	rest, found := strings.CutPrefix(text, header)
	if !found {
		return 0, false
	}
	digits, _, found := strings.Cut(rest, "|")
	id, err := strconv.Atoi(digits)
	if !found || err != nil {
		return 0, false
	}
	return id, true
}
