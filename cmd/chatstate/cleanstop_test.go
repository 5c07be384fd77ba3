package main_test

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// TestCleanStopIsNotFollowedByExpire: a user in a room, `chatstate dev`
// stopped with SIGINT and started again on its data. The log of the room
// holds the user's join and leave and nothing after them: the restarted
// server finds the earlier instance holding nothing and expires no session
// of it, and the user's last_seen and the room's updated stay at the leave.
func TestCleanStopIsNotFollowedByExpire(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	d := startDev(t, data, "--session-ttl", "3s")
	watcher := testenv.Dial(t, d.url, "watcher")
	watcher.Send(testenv.Frame{"op": "join", "room": "lobby"})
	watcher.Expect("snapshot", nil)
	watcher.ExpectEvent("lobby", "join", "watcher")

	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Wait(); err != nil {
		t.Fatalf("dev exited with %v\n%s", err, d.log)
	}
	if _, _, err := watcher.ReadRaw(); err == nil || !strings.Contains(err.Error(), "1001") {
		t.Fatalf("after SIGINT the socket read %v, want close 1001", err)
	}

	d = startDev(t, data, "--session-ttl", "3s")
	// Three TTLs and more: a restarted server takes over its id's earlier
	// instance at once, and any sweep after the TTL would have acted.
	deadline := time.Now().Add(15 * time.Second)
	var page struct {
		Events []struct {
			Event map[string]any `json:"event"`
		} `json:"events"`
	}
	for time.Now().Before(deadline) {
		getJSON(t, d.url+"/api/rooms/lobby/events?after=-1", &page)
		if len(page.Events) != 2 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	var types []string
	for _, e := range page.Events {
		types = append(types, fmt.Sprint(e.Event["type"], " ", e.Event["user"]))
	}
	if fmt.Sprint(types) != "[join watcher leave watcher]" {
		t.Fatalf("lobby's log %v, want the join and the leave only\n%s", types, d.log)
	}
	if strings.Contains(d.log.String(), "expired the sessions") {
		t.Fatalf("the restarted server expired sessions:\n%s", d.log)
	}
	leftAt := page.Events[1].Event["ts"]
	var user, room map[string]any
	getJSON(t, d.url+"/api/users/watcher", &user)
	getJSON(t, d.url+"/api/rooms/lobby", &room)
	if user["last_seen"] != leftAt || room["updated"] != leftAt {
		t.Fatalf("last_seen %v and updated %v, want both at the leave, %v", user["last_seen"], room["updated"], leftAt)
	}
}
