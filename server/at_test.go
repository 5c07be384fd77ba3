package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/api"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/logread"
	"github.com/chatstate/chatstate/replay"
	"github.com/chatstate/chatstate/server"
)

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestRoomAt records what GET /api/rooms/{room} answers after each event
// of a run, then checks that ?at= and `replay.Room` answer exactly that at
// each recorded cursor, and how ?at= refuses what it cannot answer.
func TestRoomAt(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{APIKey: "k3y"})
	base := s.http.URL
	room := base + "/api/rooms/hist"
	var cursors []int64
	recorded := map[int64]string{}
	record := func(c int64) {
		t.Helper()
		testenv.WaitFor(t, 20*time.Second, func() error {
			var r struct{ Cursor int64 }
			st, body := getBody(t, room)
			if err := json.Unmarshal([]byte(body), &r); err != nil || st != 200 || r.Cursor != c {
				return fmt.Errorf("room %d %s, want cursor %d", st, body, c)
			}
			recorded[c] = body
			return nil
		})
		cursors = append(cursors, c)
	}

	// Another room of the same partition writes before and between hist's
	// events.
	if kafka.Partition("fresh", s.kcfg.Partitions) != kafka.Partition("hist", s.kcfg.Partitions) {
		t.Fatal("fresh and hist no longer share a partition")
	}
	other := func() int64 {
		st, out := post(t, base+"/api/rooms/fresh/messages", "k3y", `{"user":"bot","text":"elsewhere"}`)
		if st != 200 {
			t.Fatalf("post: %d %v", st, out)
		}
		return int64(out["cursor"].(float64))
	}
	before := other()
	alice, bob := s.dial("alice"), s.dial("bob")
	alice.Send(frame{"op": "join", "room": "hist"})
	alice.Expect("snapshot", frame{"room": "hist"})
	c, _ := alice.ExpectEvent("hist", "join", "alice")
	record(c)
	alice.Send(frame{"op": "send", "room": "hist", "text": "one", "ref": 1})
	record(alice.AckAndEcho(1))
	between := other()
	bob.Send(frame{"op": "join", "room": "hist"})
	bob.Expect("snapshot", frame{"room": "hist"})
	c, _ = bob.ExpectEvent("hist", "join", "bob")
	alice.ExpectEvent("hist", "join", "bob")
	record(c)
	bob.Send(frame{"op": "send", "room": "hist", "text": "two", "ref": 2})
	record(bob.AckAndEcho(2))
	alice.ExpectEvent("hist", "message", "bob")
	alice.Send(frame{"op": "leave", "room": "hist", "ref": 3})
	record(alice.AckAndEvent(3, "leave"))

	client := testenv.KafkaClient(t, s.kcfg.Brokers, s.kcfg.Sarama("test"))
	reader := logread.New(client, s.kcfg)
	replayed := func(c int64) string {
		res, err := replay.Room(context.Background(), reader, "hist", replay.RoomOptions{Bound: replay.Bound{Cursor: c}})
		if err != nil {
			t.Fatalf("replay at %d: %v", c, err)
		}
		var b bytes.Buffer
		_ = json.NewEncoder(&b).Encode(api.RoomOf(res.State, s.srv.Epoch()).Public()) // as the API answers without the key
		return b.String()
	}
	at := func(c int64) (int, string) { return getBody(t, fmt.Sprintf("%s?at=%d", room, c)) }
	for i, c := range cursors {
		if got := replayed(c); got != recorded[c] {
			t.Errorf("replay at %d: %s, recorded %s", c, got, recorded[c])
		}
		if i%2 == 1 {
			continue // each ?at= costs a read through the server's busy client
		}
		if st, body := at(c); st != 200 || body != recorded[c] {
			t.Errorf("?at=%d: %d %s, recorded %s", c, st, body, recorded[c])
		}
	}
	if st, body := at(between); st != 200 || body != recorded[cursors[1]] {
		t.Errorf("?at=%d, another room's event: %d %s, want %s", between, st, body, recorded[cursors[1]])
	}
	_, end, err := reader.Bounds("hist")
	if err != nil {
		t.Fatal(err)
	}
	last := cursors[len(cursors)-1]
	for _, tc := range []struct {
		at     int64
		status int
	}{
		{end - 1, 200}, // the end of the log, from the row
		{end, 404},     // not written yet
		{before, 404},  // before the room's first event
	} {
		st, body := at(tc.at)
		if st != tc.status || (st == 200 && body != recorded[last]) {
			t.Errorf("?at=%d: %d %s, want %d", tc.at, st, body, tc.status)
		}
	}

	// Retention deletes the room's first two events.
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.DeleteRecords(string(s.kcfg.Names.Events), map[int32]int64{reader.Partition("hist"): cursors[2]}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at     int64
		status int
	}{
		{cursors[1], 404}, // deleted
		{cursors[3], 404}, // retained, but the room's beginning is not
		{last, 200},       // from the row
	} {
		st, body := at(tc.at)
		if st != tc.status || (st == 200 && body != recorded[last]) {
			t.Errorf("after retention, ?at=%d: %d %s, want %d", tc.at, st, body, tc.status)
		}
	}
}
