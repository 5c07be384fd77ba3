package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// TestSecondServerOfAHostRefused starts two servers in one directory with
// the default --state-dir and --server-id: the second is refused at once
// with a reason that names the directory and the flags, and the first keeps
// serving. Once the first is gone, even killed, the directory is free.
func TestSecondServerOfAHostRefused(t *testing.T) {
	t.Parallel()
	kcfg := testenv.Kafka(t, 2)
	testenv.RunProcessors(t, kcfg, t.TempDir())
	cwd := t.TempDir()
	server := func(name, http string) *worker {
		return startWorkerIn(t, cwd, name, "--brokers", kcfg.Brokers[0], "--topic-prefix", kcfg.Names.Prefix,
			"--partitions", "2", "server", "--http", http)
	}
	firstAddr := freeAddr(t)
	first := server("first server", firstAddr)
	first.waitLog(t, 60*time.Second, "chatstate is up")
	dirs, err := os.ReadDir(filepath.Join(cwd, "chatstate-state"))
	if err != nil || len(dirs) != 1 {
		t.Fatalf("state directory: %v %v", dirs, err)
	}
	dir := filepath.Join("chatstate-state", dirs[0].Name())

	second := server("second server", freeAddr(t))
	select {
	case <-second.done:
	case <-time.After(60 * time.Second):
		t.Fatal("the second server was not refused")
	}
	want := fmt.Sprintf("chatstate: state directory in use: %s is used by another server of the same id (process %d): "+
		"give each server of a host its own --server-id (or --state-dir)\n", dir, first.cmd.Process.Pid)
	if second.cmd.ProcessState.ExitCode() != 1 || second.log.String() != want {
		t.Errorf("second server: exit %d, output %q\nwant exit 1, %q", second.cmd.ProcessState.ExitCode(), second.log, want)
	}
	first.alive(t)
	testenv.WaitFor(t, 60*time.Second, func() error { return readyz("http://" + firstAddr) })

	// A killed server leaves no lock behind.
	first.kill(t)
	third := server("third server", freeAddr(t))
	third.waitLog(t, 60*time.Second, "chatstate is up")
	third.stop(t)
}
