package main_test

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// TestSayAndTail: say posts and prints the cursor; tail prints the recent
// history, then every event as it comes, as JSON lines, and exits 0 on
// SIGTERM.
func TestSayAndTail(t *testing.T) {
	d := startDev(t, t.TempDir())
	r := runSplit(t, nil, "say", "--url", d.url, "--user", "ops", "--room", "lobby", "--text", "first", "--json")
	var said struct {
		Room   string `json:"room"`
		Cursor int64  `json:"cursor"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &said) != nil || said.Room != "lobby" || said.Cursor < 0 {
		t.Fatalf("say: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	out := &testenv.SyncBuffer{}
	tail := exec.Command(bin, "tail", "--url", d.url, "--user", "watcher", "--room", "lobby", "--json")
	tail.Stdout, tail.Stderr = out, &testenv.SyncBuffer{}
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if tail.ProcessState == nil {
			_ = tail.Process.Kill()
			_ = tail.Wait()
		}
	})
	lines := func() []string {
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var e struct {
				Cursor int64 `json:"cursor"`
				Event  struct{ Type, User, Text string }
			}
			if l != "" && json.Unmarshal([]byte(l), &e) == nil {
				got = append(got, strings.TrimSuffix(fmt.Sprintf("%s:%s:%s", e.Event.Type, e.Event.User, e.Event.Text), ":"))
			}
		}
		return got
	}
	testenv.WaitFor(t, 60*time.Second, func() error {
		if got := fmt.Sprint(lines()); got != "[message:ops:first join:watcher]" {
			return fmt.Errorf("tail printed %s", got)
		}
		return nil
	})
	if r := runSplit(t, nil, "say", "--url", d.url, "--user", "ops", "--room", "lobby", "--text", "second"); r.code != 0 || !strings.HasPrefix(r.stdout, "posted to lobby at cursor ") {
		t.Fatalf("say: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	testenv.WaitFor(t, 60*time.Second, func() error {
		if got := fmt.Sprint(lines()); got != "[message:ops:first join:watcher join:ops message:ops:second leave:ops]" {
			return fmt.Errorf("tail printed %s", got)
		}
		return nil
	})
	_ = tail.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- tail.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("tail exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("tail did not stop on SIGTERM")
	}
}

// TestSayRefusals: say and tail check their flags before connecting, and
// a server's refusal is one line.
func TestSayRefusals(t *testing.T) {
	refused(t, nil, "chatstate: --room is required (see chatstate say --help)", "say", "--user", "ops", "--text", "x")
	refused(t, nil, "chatstate: --user or --token is required (see chatstate tail --help)", "tail", "--room", "lobby")
	refused(t, nil, `chatstate: room "no way" is not a valid name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`, "say", "--user", "ops", "--room", "no way", "--text", "x")
	d := startDev(t, t.TempDir())
	refused(t, nil, "chatstate: too_large: text is too long", "say", "--url", d.url, "--user", "ops", "--room", "lobby", "--text", strings.Repeat("x", 70000))
}
