package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// worker is a chatstate process that serves no HTTP, such as a processor.
type worker struct {
	name string
	cmd  *exec.Cmd
	log  *testenv.SyncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // its exit, valid after done
}

// startWorker runs the binary with args; name labels its output in the
// test log. The process is killed when the test ends, and its output shown
// if the test failed.
func startWorker(t *testing.T, name string, args ...string) *worker {
	t.Helper()
	return startWorkerIn(t, "", name, args...)
}

// startWorkerIn is startWorker in the working directory dir ("": the
// test's).
func startWorkerIn(t *testing.T, dir, name string, args ...string) *worker {
	t.Helper()
	w := &worker{name: name, log: &testenv.SyncBuffer{}, done: make(chan struct{})}
	w.cmd = exec.Command(bin, args...)
	w.cmd.Dir = dir
	w.cmd.Stdout, w.cmd.Stderr = w.log, w.log
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		w.err = w.cmd.Wait()
		close(w.done)
	}()
	t.Cleanup(func() {
		if !w.exited() {
			_ = w.cmd.Process.Kill()
			<-w.done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", w.name, w.log)
		}
	})
	return w
}

func (w *worker) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// waitLog waits until the output holds s, failing if the process exits.
func (w *worker) waitLog(t *testing.T, timeout time.Duration, s string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(w.log.String(), s) {
		if w.exited() {
			t.Fatalf("%s exited (%v) before logging %q", w.name, w.err, s)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not log %q within %v", w.name, s, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL: no goodbye, no commit.
func (w *worker) kill(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s: %v", w.name, err)
	}
	<-w.done
}

// stop sends SIGTERM and expects exit 0 within 30 seconds.
func (w *worker) stop(t *testing.T) {
	t.Helper()
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
		if w.err != nil {
			t.Fatalf("%s exited with %v", w.name, w.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop on SIGTERM", w.name)
	}
}

// alive fails the test if the process has exited.
func (w *worker) alive(t *testing.T) {
	t.Helper()
	if w.exited() {
		t.Fatalf("%s exited: %v", w.name, w.err)
	}
}

// runEnv runs the binary to completion with extra environment variables.
func runEnv(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// uniquePrefix is a topic prefix no other test run uses.
func uniquePrefix(name string) string {
	return fmt.Sprintf("%s%d", name, time.Now().UnixNano()%1e9)
}
