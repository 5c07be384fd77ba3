package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// bin is the chatstate binary built once for these tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chatstate-bin-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "chatstate")
	if out, err := exec.Command("go", "build", "-race", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proc is a running chatstate command that serves HTTP.
type proc struct {
	cmd *exec.Cmd
	url string
	log *testenv.SyncBuffer
}

// startProc runs chatstate with args, the last of them making it serve HTTP
// on httpAddr, and waits until it is ready.
func startProc(t *testing.T, httpAddr string, args ...string) *proc {
	t.Helper()
	p := &proc{url: "http://" + httpAddr, log: &testenv.SyncBuffer{}}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("chatstate %s output:\n%s", args[0], p.log)
		}
	})
	testenv.WaitFor(t, 60*time.Second, func() error { return readyz(p.url) })
	return p
}

// readyz is nil once the server at url says it is ready.
func readyz(url string) error {
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("readyz %d", resp.StatusCode)
	}
	return nil
}

// devProcess is a running `chatstate dev`.
type devProcess struct {
	*proc
	broker string
}

func startDev(t *testing.T, dataDir string, extra ...string) *devProcess {
	t.Helper()
	broker, httpAddr := freeAddr(t), freeAddr(t)
	args := append([]string{"dev", "--data-dir", dataDir, "--broker-addr", broker, "--http", httpAddr, "--server-id", "dev1"}, extra...)
	return &devProcess{proc: startProc(t, httpAddr, args...), broker: broker}
}

// stop sends SIGTERM and expects a clean exit.
func (d *proc) stop(t *testing.T) {
	t.Helper()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chatstate dev exited with %v\n%s", err, d.log)
		}
	case <-time.After(30 * time.Second):
		_ = d.cmd.Process.Kill()
		t.Fatalf("chatstate dev did not stop on SIGTERM\n%s", d.log)
	}
}

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return string(out), err
}

func TestDevKeepsEverythingAcrossRestart(t *testing.T) {
	data := t.TempDir()
	d := startDev(t, data)
	if !strings.Contains(d.log.String(), "open http://") {
		t.Errorf("no line telling where to point a browser:\n%s", d.log)
	}
	alice := testenv.Dial(t, d.url, "alice")
	alice.Send(testenv.Frame{"op": "join", "room": "hist"})
	snap := alice.Expect("snapshot", testenv.Frame{})
	epoch := snap["epoch"]
	aliceJoin, _ := alice.ExpectEvent("hist", "join", "alice")
	var acked []int64
	for i := range 3 {
		alice.Send(testenv.Frame{"op": "send", "room": "hist", "text": fmt.Sprint("kept ", i), "ref": i})
		acked = append(acked, alice.AckAndEcho(i))
	}
	d.stop(t)
	// The clean stop said goodbye: the socket saw 1001.
	if _, _, err := alice.ReadRaw(); err == nil || !strings.Contains(err.Error(), "1001") {
		t.Errorf("after stop the socket read %v, want close 1001", err)
	}

	d = startDev(t, data)
	bob := testenv.Dial(t, d.url, "bob")
	bob.Send(testenv.Frame{"op": "join", "room": "hist", "history": 10})
	snap = bob.Expect("snapshot", testenv.Frame{"messages": 3, "members": []any{}, "epoch": epoch})
	var got []int64
	for _, e := range snap["events"].([]any) {
		got = append(got, int64(e.(map[string]any)["cursor"].(float64)))
	}
	if fmt.Sprint(got) != fmt.Sprint(acked) {
		t.Fatalf("history after restart %v, acked %v", got, acked)
	}

	out, err := run(t, "--brokers", d.broker, "rooms", "--json", "hist")
	var room map[string]any
	if err != nil || json.Unmarshal([]byte(out), &room) != nil || room["messages"] != 3.0 || room["epoch"] != epoch {
		t.Fatalf("rooms hist: %v %s", err, out)
	}
	out, err = run(t, "--brokers", d.broker, "users", "--online")
	if err != nil || !strings.Contains(out, "bob") || strings.Contains(out, "alice") {
		t.Fatalf("users --online: %v %s", err, out)
	}
	// alice's read state: her marker at her join, her own messages no
	// unread of hers; bob's is where his join after the restart is.
	want := fmt.Sprintf(`{"user":"alice","rooms":[{"room":"hist","count":0,"mentions":0,"cursor":%d}]}`, aliceJoin)
	out, err = run(t, "--brokers", d.broker, "users", "--unread", "alice", "--json")
	if compact := strings.Join(strings.Fields(out), ""); err != nil || compact != want {
		t.Fatalf("users --unread alice --json: %v %s, want %s", err, out, want)
	}
	out, err = run(t, "--brokers", d.broker, "users", "--unread", "alice")
	if err != nil || !strings.HasPrefix(out, "ROOM") || !strings.Contains(out, fmt.Sprintf("hist  0       0         %d", aliceJoin)) {
		t.Fatalf("users --unread alice: %v %q", err, out)
	}
	if out, err = run(t, "--brokers", d.broker, "users", "--unread", "nobody"); err == nil || strings.TrimSpace(out) != "chatstate: user nobody was never seen" {
		t.Fatalf("users --unread nobody: %v %q", err, out)
	}
	d.stop(t)
}

func TestCommandLineErrors(t *testing.T) {
	if out, err := run(t, "--help"); err != nil || !strings.Contains(out, "dev") {
		t.Fatalf("--help: %v %s", err, out)
	}
	for _, args := range [][]string{
		{"--brokers", freeAddr(t), "rooms"},
		{"--log-level", "loud", "rooms"},
		{"processor", "--groups", "nope"},
		{"rooms", "a", "b"},
	} {
		out, err := run(t, args...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if err == nil || len(lines) != 1 || !strings.HasPrefix(lines[0], "chatstate: ") {
			t.Errorf("%v: want exit 1 with one line, got %v %q", args, err, out)
		}
	}
}
