package main_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// brokers returns CHATSTATE_TEST_BROKERS, or starts `chatstate broker` as a
// process of its own and returns its address: the scenarios below stop and
// start processors and servers, never the broker.
func brokers(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("CHATSTATE_TEST_BROKERS"); b != "" {
		return b
	}
	addr := freeAddr(t)
	w := startWorker(t, "broker", "broker", "--broker-addr", addr, "--data-dir", t.TempDir())
	w.waitLog(t, 30*time.Second, "embedded broker listening")
	return addr
}

// TestLaggingServersGroupExpiresNobody: two servers with a session TTL of
// 3 s, a client on each in one room, and the servers group's processor
// stopped for three TTLs, then started again. Neither client is told
// anything (no expire of its own or the other's session), and both stay
// members, on both servers.
func TestLaggingServersGroupExpiresNobody(t *testing.T) {
	t.Parallel()
	ttl := 3 * time.Second
	d := newDeployment(brokers(t), "lagging", 4)
	rooms := startWorker(t, "rooms", d.args("rooms", "processor", "--groups", "rooms,users", "--state-dir", t.TempDir())...)
	rooms.waitLog(t, 60*time.Second, "processor started")
	serversDir := t.TempDir()
	servers := startWorker(t, "servers", d.args("servers", "processor", "--groups", "servers", "--state-dir", serversDir)...)
	servers.waitLog(t, 60*time.Second, "processor started")
	s1 := d.server(t, "s1", "--session-ttl", ttl.String())
	s2 := d.server(t, "s2", "--session-ttl", ttl.String())

	alice, bob := testenv.Dial(t, s1.url, "alice"), testenv.Dial(t, s2.url, "bob")
	alice.Send(testenv.Frame{"op": "join", "room": "lag"})
	alice.Expect("snapshot", nil)
	alice.ExpectEvent("lag", "join", "alice")
	bob.Send(testenv.Frame{"op": "join", "room": "lag"})
	bob.Expect("snapshot", nil)
	// s2 may have read alice's join after its snapshot.
	if ev := bob.Expect("event", nil)["event"].(map[string]any); ev["user"] == "alice" {
		bob.ExpectEvent("lag", "join", "bob")
	}
	alice.ExpectEvent("lag", "join", "bob")

	// Neither client is told anything while the group is away (three
	// TTLs), nor for two TTLs after it is back: a sweep in that time sees a
	// table that is behind, then one that has caught up with both servers'
	// beats. Each client is watched by one read over the whole time (a read
	// that timed out is the last one gorilla makes), ended from here.
	servers.stop(t)
	watch := func(c *testenv.Client) <-chan error {
		quiet := make(chan error, 1)
		go func() { quiet <- c.QuietErr(time.Hour) }()
		return quiet
	}
	aliceQuiet, bobQuiet := watch(alice), watch(bob)
	<-time.After(3 * ttl) // the fault: the group stays away that long
	servers = startWorker(t, "servers", d.args("servers", "processor", "--groups", "servers", "--state-dir", serversDir)...)
	servers.waitLog(t, 60*time.Second, "processor started")
	<-time.After(2*ttl + 5*time.Second) // the sweeps after it came back
	for _, c := range []*testenv.Client{alice, bob} {
		_ = c.WS.SetReadDeadline(time.Now())
	}
	for _, quiet := range []<-chan error{aliceQuiet, bobQuiet} {
		if err := <-quiet; err != nil {
			t.Fatal(err)
		}
	}

	want := "[map[sessions:1 user:alice] map[sessions:1 user:bob]]"
	for _, url := range []string{s1.url, s2.url} {
		var room map[string]any
		getJSON(t, url+"/api/rooms/lag", &room)
		if m := fmt.Sprint(room["members"]); m != want {
			t.Fatalf("%s: members %s, want %s", url, m, want)
		}
	}
	for _, p := range []*proc{s1, s2} {
		if strings.Contains(p.log.String(), "expired the sessions") {
			t.Fatalf("a server expired sessions:\n%s", p.log)
		}
	}
}
