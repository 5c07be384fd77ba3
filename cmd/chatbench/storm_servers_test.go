package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// The storm at small scale against real servers: a `chatstate dev` (its
// embedded broker, processors and server) and the bare hub, each built and
// started as its own process. Every client must resume every room and
// receive every message exactly once across the cut.
func TestStormAgainstServers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts servers")
	}
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args func(http string) []string
	}{
		{"barehub", func(http string) []string { return []string{"--http", http, "--api-key", "key"} }},
		{"chatstate", func(http string) []string {
			return []string{"--log-level", "warn", "dev", "--data-dir", filepath.Join(dir, "data"), "--broker-addr", freeAddr(t),
				"--http", http, "--server-id", "storm", "--api-key", "key", "--max-conns-per-addr", "1000"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin := filepath.Join(dir, tc.name)
			if out, err := exec.Command("go", "build", "-o", bin, "../"+tc.name).CombinedOutput(); err != nil {
				t.Fatalf("build %s: %v\n%s", tc.name, err, out)
			}
			addr := freeAddr(t)
			log := &testenv.SyncBuffer{}
			cmd := exec.Command(bin, tc.args(addr)...)
			cmd.Stdout, cmd.Stderr = log, log
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				if t.Failed() {
					t.Logf("%s output:\n%s", tc.name, log)
				}
			})
			base := "http://" + addr
			testenv.WaitFor(t, 60*time.Second, func() error { return ready(base) })

			cfg := config{URL: base, APIKey: "key", Publish: "http", Duration: time.Second, Clients: 20, Rooms: 6, Payload: 200, ServerPID: cmd.Process.Pid,
				Run: "t" + tc.name[:4], Drain: 30 * time.Second, Settle: 5 * time.Second, DialConcurrency: 8, JoinRetries: 5, Workers: 4,
				StormRooms: 3, StormConcurrency: 20, StormHistory: 2, StormAway: 1}
			if err := cfg.validate(); err != nil {
				t.Fatal(err)
			}
			rep, err := runStorm(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			// 6 rooms of 10 members, 3 messages each: 180 receipts.
			if !rep.OK || rep.StormReconnected != 20 || rep.StormResumes != 60 || rep.Published != 18 || rep.Acked != 18 ||
				rep.Expected != 180 || rep.Deliveries != 180 || rep.Lost != 0 || rep.Duplicated != 0 {
				t.Fatalf("storm: %+v", rep)
			}
		})
	}
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

func ready(base string) error {
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("readyz: %s", resp.Status)
	}
	return nil
}
