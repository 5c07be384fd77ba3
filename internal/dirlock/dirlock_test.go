//go:build unix

package dirlock_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/dirlock"
)

// holdEnv names the directory that the test binary, run again by
// TestKilledHolderLeavesNoLock, locks before it says "held" and waits to be
// killed.
const holdEnv = "DIRLOCK_TEST_HOLD"

// TestLockedUntilRelease: a second Acquire of a directory is refused, with
// the directory and the holder's process id, until the first is released;
// the refused one leaves the lock file as it was.
func TestLockedUntilRelease(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "made")
	l, err := dirlock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "lock")
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = dirlock.Acquire(dir)
	var held *dirlock.HeldError
	if !errors.As(err, &held) || !errors.Is(err, dirlock.ErrHeld) || held.Dir != dir || held.PID != os.Getpid() {
		t.Fatalf("second Acquire: %v, want a HeldError of %s by process %d", err, dir, os.Getpid())
	}
	if want := fmt.Sprintf("%s is used by another process (process %d)", dir, os.Getpid()); err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	after, err := os.Stat(path)
	if err != nil || !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		t.Errorf("the refused Acquire changed the lock file: %v, %v", after, err)
	}
	l.Release()
	l.Release() // a second Release does nothing
	l, err = dirlock.Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l.Release()
	var none *dirlock.Lock
	none.Release() // a lock not taken
}

// TestKilledHolderLeavesNoLock: a process that holds the lock refuses
// another; once it is killed (SIGKILL, no cleanup), the directory is free.
func TestKilledHolderLeavesNoLock(t *testing.T) {
	if dir := os.Getenv(holdEnv); dir != "" {
		if _, err := dirlock.Acquire(dir); err != nil {
			fmt.Println(err)
			os.Exit(2)
		}
		fmt.Println("held")
		time.Sleep(time.Minute) // until killed
		os.Exit(3)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledHolderLeavesNoLock$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if strings.TrimSpace(s) != "held" {
			t.Fatalf("holder said %q", s)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the holder did not take the lock within 30s")
	}
	_, err = dirlock.Acquire(dir)
	var held *dirlock.HeldError
	if !errors.As(err, &held) || held.PID != cmd.Process.Pid {
		t.Fatalf("Acquire while held by process %d: %v", cmd.Process.Pid, err)
	}
	if !strings.HasSuffix(err.Error(), " (process "+strconv.Itoa(cmd.Process.Pid)+")") {
		t.Errorf("error %q does not name the holder", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	l, err := dirlock.Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	l.Release()
}
