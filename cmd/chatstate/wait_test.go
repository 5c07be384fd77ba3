package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// deadAddr returns an address that refuses every connection until release
// is called or the test ends: a socket bound to it that never listens. No
// other process can take the port meanwhile, as one can take a freeAddr;
// the socket is not inherited by the processes the test starts.
func deadAddr(t *testing.T) (addr string, release func()) {
	t.Helper()
	// Under ForkLock, as the syscall package opens its files: a process
	// started in between would inherit the socket and hold the port.
	syscall.ForkLock.RLock()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { _ = syscall.Close(fd) }) }
	t.Cleanup(release)
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port), release
}

// httpGet returns the status and body of GET url.
func httpGet(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestStartBeforeKafka: a server and a processor started while nothing
// listens at the brokers' address wait for it. Meanwhile the server's
// /healthz is 200 and its /readyz 503 naming the brokers and why, and each
// logs the wait once (not once per attempt). Once `chatstate broker` is
// started at that address both come up by themselves: /readyz 200, the
// processor's groups started, and a client joins and sends as usual.
func TestStartBeforeKafka(t *testing.T) {
	t.Parallel()
	broker, release := deadAddr(t)
	httpAddr := freeAddr(t)
	base := []string{"--brokers", broker, "--topic-prefix", uniquePrefix("wait"), "--partitions", "2", "--log-level", "debug"}
	proc := startWorker(t, "processor", append(base, "processor", "--state-dir", t.TempDir())...)
	srv := startWorker(t, "server", append(base, "server", "--http", httpAddr, "--server-id", "w1", "--state-dir", t.TempDir())...)
	url := "http://" + httpAddr

	testenv.WaitFor(t, 30*time.Second, func() error {
		if code, body, err := httpGet(url + "/healthz"); err != nil || code != 200 {
			return fmt.Errorf("healthz: %d %s %v", code, body, err)
		}
		return nil
	})
	testenv.WaitFor(t, 30*time.Second, func() error {
		code, body, err := httpGet(url + "/readyz")
		if err != nil {
			return err
		}
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal([]byte(body), &e)
		if code != 503 || e.Error.Code != "unavailable" ||
			!strings.HasPrefix(e.Error.Message, "not ready: waiting for Kafka at "+broker+": ") ||
			!strings.Contains(e.Error.Message, "connection refused") {
			return fmt.Errorf("readyz %d %s: want 503 unavailable, waiting for Kafka at %s, connection refused", code, body, broker)
		}
		return nil
	})
	// Several attempts (debug lines), one warning: the wait is short of
	// the ten seconds between its log lines.
	for _, w := range []*worker{proc, srv} {
		w.waitLog(t, 30*time.Second, "attempt=3 ")
		if n := strings.Count(w.log.String(), `msg="waiting for Kafka"`); n != 1 {
			t.Errorf("%s logged the wait %d times within ten seconds, want once:\n%s", w.name, n, w.log)
		}
		if !strings.Contains(w.log.String(), "brokers="+broker) {
			t.Errorf("%s does not name the brokers it waits for:\n%s", w.name, w.log)
		}
	}
	proc.alive(t)
	srv.alive(t)

	release()
	b := startWorker(t, "broker", "broker", "--broker-addr", broker, "--data-dir", t.TempDir())
	b.waitLog(t, 30*time.Second, "embedded broker listening")
	testenv.WaitFor(t, 60*time.Second, func() error { return readyz(url) })
	proc.waitLog(t, 60*time.Second, `msg="processor started" group=users`)
	for _, w := range []*worker{proc, srv} {
		w.waitLog(t, 30*time.Second, `msg="connected to Kafka"`)
	}

	alice := testenv.Dial(t, url, "alice")
	alice.Send(testenv.Frame{"op": "join", "room": "early"})
	alice.Expect("snapshot", testenv.Frame{})
	alice.ExpectEvent("early", "join", "alice")
	alice.Send(testenv.Frame{"op": "send", "room": "early", "text": "before kafka, after all", "ref": 1})
	alice.AckAndEcho(1)
	// The processor folds it into the table the server reads.
	testenv.WaitFor(t, 30*time.Second, func() error {
		var room struct{ Messages int64 }
		if err := fetchJSON(url+"/api/rooms/early", &room); err != nil || room.Messages != 1 {
			return fmt.Errorf("room early: %v, %d messages", err, room.Messages)
		}
		return nil
	})
	srv.stop(t)
	proc.stop(t)
}

// TestStopWhileWaitingForKafka: SIGTERM ends the wait at once, with exit 0.
func TestStopWhileWaitingForKafka(t *testing.T) {
	t.Parallel()
	broker, _ := deadAddr(t)
	httpAddr := freeAddr(t)
	for _, w := range []*worker{
		startWorker(t, "processor", "--brokers", broker, "processor", "--state-dir", t.TempDir()),
		startWorker(t, "server", "--brokers", broker, "server", "--http", httpAddr, "--state-dir", t.TempDir()),
	} {
		w.waitLog(t, 30*time.Second, `msg="waiting for Kafka"`)
		start := time.Now()
		if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-w.done:
			if w.err != nil {
				t.Errorf("%s exited with %v, want 0:\n%s", w.name, w.err, w.log)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s still running 5 s after SIGTERM:\n%s", w.name, w.log)
		}
		t.Logf("%s stopped %v after SIGTERM", w.name, time.Since(start).Round(time.Millisecond))
	}
}
