package main_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// TestKilledServersSessionsExpire runs a second server next to `chatstate
// dev`, kills it with SIGKILL while a user of it is in a room, and expects
// the user on the surviving server to see that session expire.
func TestKilledServersSessionsExpire(t *testing.T) {
	d := startDev(t, t.TempDir(), "--session-ttl", "3s")
	addr := freeAddr(t)
	other := startProc(t, addr, "--brokers", d.broker, "server", "--http", addr, "--server-id", "doomed",
		"--state-dir", t.TempDir(), "--session-ttl", "3s")

	victim := testenv.Dial(t, other.url, "victim")
	victim.Send(testenv.Frame{"op": "join", "room": "wake"})
	victim.Expect("snapshot", testenv.Frame{})
	victim.ExpectEvent("wake", "join", "victim")

	watcher := testenv.Dial(t, d.url, "watcher")
	watcher.Send(testenv.Frame{"op": "join", "room": "wake"})
	// dev may not have read the victim's join yet: then it follows the
	// snapshot, before the watcher's own.
	if snap := watcher.Expect("snapshot", nil); fmt.Sprint(snap["members"]) != "[map[sessions:1 user:victim]]" {
		watcher.ExpectEvent("wake", "join", "victim")
	}
	watcher.ExpectEvent("wake", "join", "watcher")

	if err := other.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = other.cmd.Wait()
	killed := time.Now()
	watcher.ExpectEvent("wake", "expire", "victim")
	// Timing is reported, not asserted: the machine is shared.
	t.Logf("expired %v after the kill (TTL 3s plus at most one sweep of 1s)", time.Since(killed))
}
