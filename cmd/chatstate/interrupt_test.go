package main_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// awaitRequest waits until w has sent the silent listener a request, whose
// answer never comes, failing if w exits first.
func awaitRequest(t *testing.T, w *worker, asked *atomic.Int64) {
	t.Helper()
	testenv.WaitFor(t, 30*time.Second, func() error {
		if w.exited() {
			t.Fatalf("exited before the signal: %v\n%s", w.err, w.log)
		}
		if asked.Load() == 0 {
			return errors.New("no request yet")
		}
		return nil
	})
}

// silentBroker listens on loopback, accepts every connection, reads what
// comes and never sends a byte: a broker (or server) that hangs. It
// returns its address and the count of connections on which a request
// came, whose client now waits for an answer. Everything is closed when
// the test ends.
func silentBroker(t *testing.T) (addr string, asked *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	asked = new(atomic.Int64)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				buf := make([]byte, 4096)
				if _, err := c.Read(buf); err != nil {
					return
				}
				asked.Add(1)
				for err == nil { // until the client closes
					_, err = c.Read(buf)
				}
			})
		}
	})
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String(), asked
}

// oneShotCommands are the commands that read or write Kafka once and exit.
var oneShotCommands = [][]string{
	{"verify"},
	{"replay", "--room", "r1"},
	{"rebuild", "--dry-run"},
	{"rebuild"},
	{"rooms"},
	{"rooms", "r1"},
	{"users", "--online"},
	{"users", "--unread", "alice"},
	{"topics"},
}

// TestOneShotCommandsStopOnSignal: a one-shot command waiting on a broker
// that never answers stops within seconds of SIGINT or SIGTERM, with exit 1
// and one line naming the signal, and nothing on standard output.
func TestOneShotCommandsStopOnSignal(t *testing.T) {
	t.Parallel()
	for i, cmd := range oneShotCommands {
		sig, name := syscall.SIGTERM, "SIGTERM"
		if i%2 == 0 {
			sig, name = syscall.SIGINT, "SIGINT"
		}
		t.Run(strings.Join(cmd, " ")+" "+name, func(t *testing.T) {
			t.Parallel()
			addr, asked := silentBroker(t)
			w := startWorker(t, cmd[0], append([]string{"--brokers", addr}, cmd...)...)
			// A request sent: waiting for the broker's answer, which
			// never comes.
			awaitRequest(t, w, asked)
			w.alive(t)
			sent := time.Now()
			if err := w.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-w.done:
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10 s after %s:\n%s", name, w.log)
			}
			took := time.Since(sent)
			if code := w.cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit %d after %s, want 1", code, name)
			}
			if want := "chatstate: interrupted by " + name + "\n"; w.log.String() != want {
				t.Errorf("output %q, want %q", w.log, want)
			}
			t.Logf("stopped %v after %s", took.Round(time.Millisecond), name)
		})
	}
}

// TestOneShotCommandsFailAgainstSilentBroker: without a signal, each
// one-shot command gives up on a broker that never answers, with exit 1 and
// one line on standard error, in bounded time (README: about 12 s). The
// commands run at once, each against a broker of its own: they wait, idle,
// for the same time-outs.
func TestOneShotCommandsFailAgainstSilentBroker(t *testing.T) {
	t.Parallel()
	type outcome struct {
		result
		took time.Duration
		err  error
	}
	outcomes := make([]outcome, len(oneShotCommands))
	var wg sync.WaitGroup
	for i, cmd := range oneShotCommands {
		addr, _ := silentBroker(t)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c := exec.CommandContext(ctx, bin, append([]string{"--brokers", addr}, cmd...)...)
			var out, errOut bytes.Buffer
			c.Stdout, c.Stderr = &out, &errOut
			start := time.Now()
			err := c.Run()
			o := &outcomes[i]
			o.took = time.Since(start)
			if _, exited := err.(*exec.ExitError); err != nil && !exited {
				o.err = err
				return
			}
			o.result = result{stdout: out.String(), stderr: errOut.String(), code: c.ProcessState.ExitCode()}
		})
	}
	wg.Wait()
	for i, cmd := range oneShotCommands {
		o := outcomes[i]
		switch {
		case o.err != nil:
			t.Errorf("%q: %v", cmd, o.err)
		case o.code != 1 || o.stdout != "" || strings.Count(o.stderr, "\n") != 1 ||
			!strings.HasPrefix(o.stderr, "chatstate: ") || !strings.Contains(o.stderr, "i/o timeout"):
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 1, no stdout, one line on the broker's time-out", cmd, o.code, o.stdout, o.stderr)
		case o.took > 40*time.Second:
			t.Errorf("%q took %v to fail, want about 12 s", cmd, o.took)
		}
		t.Logf("%q failed after %v: %s", cmd, o.took.Round(time.Millisecond), strings.TrimSpace(o.stderr))
	}
}

// TestChatCommandsStopOnSignal: say and tail, connecting to a server that
// never answers, stop within seconds of SIGINT: say, a one-shot command,
// with exit 1 and one line naming the signal; tail, which runs until
// stopped, with exit 0 and nothing to say.
func TestChatCommandsStopOnSignal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cmd  string
		code int
		out  string
	}{
		{"say", 1, "chatstate: interrupted by SIGINT\n"},
		{"tail", 0, ""},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			t.Parallel()
			addr, asked := silentBroker(t) // as an HTTP server: never answers
			args := []string{tc.cmd, "--url", "http://" + addr, "--room", "r1", "--user", "ann"}
			if tc.cmd == "say" {
				args = append(args, "--text", "hi")
			}
			w := startWorker(t, tc.cmd, args...)
			awaitRequest(t, w, asked)
			if err := w.cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			select {
			case <-w.done:
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10 s after SIGINT:\n%s", w.log)
			}
			if code := w.cmd.ProcessState.ExitCode(); code != tc.code || w.log.String() != tc.out {
				t.Errorf("exit %d, output %q; want exit %d, output %q", code, w.log, tc.code, tc.out)
			}
		})
	}
}

// TestWorkersStopWhileKafkaDoesNotAnswer: a processor and a server whose
// first attempt at Kafka waits on a broker that never answers stop within
// seconds of SIGTERM, with exit 0, as they do between attempts
// (TestStopWhileWaitingForKafka).
func TestWorkersStopWhileKafkaDoesNotAnswer(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{
		{"processor", "--state-dir", t.TempDir()},
		{"server", "--http", "127.0.0.1:0", "--state-dir", t.TempDir()},
	} {
		t.Run(cmd[0], func(t *testing.T) {
			t.Parallel()
			addr, asked := silentBroker(t)
			w := startWorker(t, cmd[0], append([]string{"--brokers", addr}, cmd...)...)
			awaitRequest(t, w, asked)
			if strings.Contains(w.log.String(), `msg="waiting for Kafka"`) {
				t.Fatalf("the first attempt ended before the signal:\n%s", w.log)
			}
			sent := time.Now()
			if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case <-w.done:
				if w.err != nil || !strings.Contains(w.log.String(), "stopped before Kafka was reachable") {
					t.Errorf("exited with %v, want 0 and the stop logged:\n%s", w.err, w.log)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10 s after SIGTERM:\n%s", w.log)
			}
			t.Logf("stopped %v after SIGTERM", time.Since(sent).Round(time.Millisecond))
		})
	}
}
