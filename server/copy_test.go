package server_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
	"github.com/chatstate/chatstate/server/fanout"
)

// counter reads one counter of the server's /metrics.
func counter(t *testing.T, base, name string) int {
	t.Helper()
	for _, line := range strings.Split(scrape(t, base), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return int(f)
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return 0
}

// logEntry is an event of the room as GET /api/rooms/{room}/events reads it
// from Kafka.
type logEntry struct {
	Cursor int64          `json:"cursor"`
	Event  map[string]any `json:"event"`
}

// roomLog reads every event of the room from the log, up to cursor.
func roomLog(t *testing.T, base, room string, upTo int64) []logEntry {
	t.Helper()
	var page struct{ Events []logEntry }
	getJSON(t, base+"/api/rooms/"+room+"/events?after=-1&limit=1000", &page)
	var out []logEntry
	for _, e := range page.Events {
		if e.Cursor <= upTo {
			out = append(out, e)
		}
	}
	return out
}

// sameEntries fails unless the snapshot's events are exactly want, field by
// field.
func sameEntries(t *testing.T, what string, snap frame, want []logEntry) {
	t.Helper()
	got, _ := json.Marshal(snap["events"])
	if want == nil {
		want = []logEntry{}
	}
	exp, _ := json.Marshal(want)
	var g, e any
	_ = json.Unmarshal(got, &g)
	_ = json.Unmarshal(exp, &e)
	if fmt.Sprint(g) != fmt.Sprint(e) {
		t.Fatalf("%s: events\n%s\nwant the log's\n%s", what, got, exp)
	}
}

func messagesOf(entries []logEntry) []logEntry {
	var out []logEntry
	for _, e := range entries {
		if e.Event["type"] == "message" {
			out = append(out, e)
		}
	}
	return out
}

func lastN(entries []logEntry, n int) []logEntry { return entries[max(0, len(entries)-n):] }

func after(entries []logEntry, c int64) []logEntry {
	var out []logEntry
	for _, e := range entries {
		if e.Cursor > c {
			out = append(out, e)
		}
	}
	return out
}

// A room the server serves is answered from its copy in memory: every join
// after the first one, with history or resuming, gets exactly what the log
// holds, and the answer that the copy cannot give (a resume from before its
// ring) comes from the log, as exact.
func TestJoinsFromMemoryAnswerAsTheLog(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{SendRate: 10000, SendBurst: 10000})
	base := s.http.URL
	alice := s.dial("alice")
	alice.Send(frame{"op": "join", "room": "m"})
	alice.Expect("snapshot", frame{"messages": 0})
	first, _ := alice.ExpectEvent("m", "join", "alice")
	if got := counter(t, base, "chatstate_joins_from_memory_total"); got != 0 {
		t.Fatalf("the first join of a room was answered from memory (%d)", got)
	}
	for i := range 40 {
		alice.Send(frame{"op": "send", "room": "m", "text": fmt.Sprint("m", i), "ref": i})
		alice.AckAndEcho(i)
	}

	members := []any{map[string]any{"user": "alice", "sessions": 1.0}}
	cases := []frame{
		{"history": 0}, {"history": 1}, {}, {"history": 40}, {"history": 200},
		{"after": -1}, {"after": first}, {"after": first + 20},
	}
	memory := 0
	for i, c := range cases {
		user := fmt.Sprintf("c%d", i)
		cl := s.dial(user)
		j := frame{"op": "join", "room": "m"}
		for k, v := range c {
			j[k] = v
		}
		cl.Send(j)
		snap := cl.Expect("snapshot", frame{"members": members, "truncated": false})
		cl.ExpectEvent("m", "join", user)
		alice.ExpectEvent("m", "join", user)
		cursor := int64(snap["cursor"].(float64))
		log := roomLog(t, base, "m", cursor)
		if log[len(log)-1].Cursor != cursor {
			t.Fatalf("%v: snapshot cursor %d, the log's last %d", c, cursor, log[len(log)-1].Cursor)
		}
		msgs := messagesOf(log)
		if got := int(snap["messages"].(float64)); got != len(msgs) {
			t.Fatalf("%v: messages %d, want %d", c, got, len(msgs))
		}
		if a, ok := c["after"]; ok {
			if snap["resumed"] != true {
				t.Fatalf("%v: not resumed", c)
			}
			sameEntries(t, fmt.Sprint(c), snap, after(log, int64(toFloat(a))))
		} else {
			n := 50
			if h, ok := c["history"]; ok {
				n = h.(int)
			}
			sameEntries(t, fmt.Sprint(c), snap, lastN(msgs, n))
		}
		// The copy was made by the room's first join: its ring has every
		// event since, fewer than fanout.RingSize here.
		memory++
		if got := counter(t, base, "chatstate_joins_from_memory_total"); got != memory {
			t.Fatalf("%v: %d joins from memory, want %d", c, got, memory)
		}
		members = append(members, map[string]any{"user": user, "sessions": 1.0})
	}

	// Push the start of the ring past the first events: a resume from
	// there reads the log, and is as exact.
	for i := range fanout.RingSize {
		alice.Send(frame{"op": "send", "room": "m", "text": fmt.Sprint("n", i), "ref": 100 + i})
		alice.AckAndEcho(100 + i)
	}
	late := s.dial("late")
	late.Send(frame{"op": "join", "room": "m", "after": first})
	snap := late.Expect("snapshot", frame{"resumed": true, "truncated": false})
	sameEntries(t, "resume past the ring", snap, after(roomLog(t, base, "m", int64(snap["cursor"].(float64))), first))
	if got := counter(t, base, "chatstate_joins_from_memory_total"); got != memory {
		t.Fatalf("a resume from before the ring was answered from memory: %d, want %d", got, memory)
	}
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	return v.(float64)
}

// A copy made by a join holds the events its join read, no more: a resume
// from a later cursor, or a history that starts at a late message, read the
// log only from there. A later join that resumes from further back, on the
// same server, gets every event since its cursor all the same (from the
// log, since the copy lacks them), not the copy's events alone.
func TestCopyCoversOnlyWhatItsJoinRead(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{SendRate: 10000, SendBurst: 10000})
	alice := s.dial("alice")
	alice.Send(frame{"op": "join", "room": "m"})
	alice.Expect("snapshot", frame{})
	first, _ := alice.ExpectEvent("m", "join", "alice")
	var cursors []int64
	for i := range 6 {
		alice.Send(frame{"op": "send", "room": "m", "text": fmt.Sprint("m", i), "ref": i})
		cursors = append(cursors, alice.AckAndEcho(i))
	}
	last := cursors[len(cursors)-1]
	for i, firstJoin := range []frame{
		{"after": cursors[4]}, // a resume from the fifth message
		{"history": 1},        // the last message only
	} {
		// A server of its own, which serves no room yet: the first join
		// below makes its copy of m. It waits until its view has m as
		// alice left it, so that the resume is one.
		_, hs, _ := startServer(t, s.kcfg, t.TempDir(), server.Config{ServerID: fmt.Sprint("copy-", i)})
		testenv.WaitFor(t, 30*time.Second, func() error {
			var room struct{ Cursor int64 }
			if code := getJSON(t, hs.URL+"/api/rooms/m", &room); code != 200 || room.Cursor < last {
				return fmt.Errorf("%s: room m at %d (%d), want %d", hs.URL, room.Cursor, code, last)
			}
			return nil
		})
		u1, u2 := fmt.Sprint("first-", i), fmt.Sprint("second-", i)
		c1 := testenv.Dial(t, hs.URL, u1)
		j := frame{"op": "join", "room": "m"}
		for k, v := range firstJoin {
			j[k] = v
		}
		c1.Send(j)
		c1.Expect("snapshot", frame{"truncated": false})
		c1.ExpectEvent("m", "join", u1)

		c2 := testenv.Dial(t, hs.URL, u2)
		c2.Send(frame{"op": "join", "room": "m", "after": first})
		snap := c2.Expect("snapshot", frame{"resumed": true, "truncated": false})
		sameEntries(t, fmt.Sprint(firstJoin, ", then a resume from the first"), snap,
			after(roomLog(t, s.http.URL, "m", int64(snap["cursor"].(float64))), first))
	}
}
