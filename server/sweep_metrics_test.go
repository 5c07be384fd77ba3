package server_test

import (
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// metricValue returns the value of the unlabelled metric name in the
// /metrics text m, failing the test when it is missing.
func metricValue(t *testing.T, m, name string) float64 {
	t.Helper()
	sub := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(m)
	if sub == nil {
		t.Fatalf("metrics lack %s:\n%s", name, m)
	}
	v, err := strconv.ParseFloat(sub[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const (
	sweeps  = "chatstate_presence_sweeps_total"
	expired = "chatstate_presence_expired_sessions_total"
)

// TestPresenceSweepMetrics: the sweeper counts each session it expires, once,
// and each sweep it completes; while the servers table cannot be seen
// current (the processors stopped) with a dead instance to expire, the sweep
// counter stands still, and it moves again once the processors are back.
func TestPresenceSweepMetrics(t *testing.T) {
	t.Parallel()
	logs := &testenv.SyncBuffer{}
	const ttl = 2 * time.Second
	s := newStack(t, server.Config{SessionTTL: ttl, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	sweptBeyond := func(n float64) func(string) bool {
		return func(m string) bool { return metricValue(t, m, sweeps) > n }
	}
	waitMetrics(t, s.http.URL, "a first sweep", sweptBeyond(0))

	// Two sessions of a silent instance: both expired, counted once.
	ghostJoin(t, s.kcfg, "haunted", "ghost", "g1", "gone/0000")
	ghostJoin(t, s.kcfg, "crypt", "ghost", "g2", "gone/0000")
	testenv.WaitFor(t, 30*time.Second, func() error {
		for _, room := range []string{"haunted", "crypt"} {
			if m := members(t, s.http.URL, room); m != "[]" {
				return fmt.Errorf("members of %s %s, want the ghost's sessions expired", room, m)
			}
		}
		return nil
	})
	// Three more sweeps, from a table that has the expiries: none
	// expires them again.
	m := waitMetrics(t, s.http.URL, "three more sweeps", sweptBeyond(metricValue(t, scrape(t, s.http.URL), sweeps)+2))
	if got := metricValue(t, m, expired); got != 2 {
		t.Fatalf("%s = %v, want 2", expired, got)
	}

	// An instance that beats with a timestamp ten seconds ahead stays live
	// until the processors are stopped (time enough on a loaded machine),
	// then goes silent.
	v := serversView(t, s.kcfg)
	beat := &codec.Heartbeat{V: codec.Version, Op: codec.Beat, Instance: "gone/0001", Server: "gone", TS: codec.FormatTime(time.Now().Add(10 * time.Second))}
	produce(t, s.kcfg, string(s.kcfg.Names.Heartbeats), beat.Instance, beat)
	ghostJoin(t, s.kcfg, "tomb", "wraith", "w1", "gone/0001")
	testenv.WaitFor(t, 30*time.Second, func() error {
		rows := rowsOf(t, v, func(inst string) bool { return inst == "gone/0001" })
		if len(rows) != 2 || !strings.Contains(strings.Join(rows, " "), "held 1") {
			return fmt.Errorf("rows of the beating instance %v, want its instance row and a bucket row holding 1", rows)
		}
		return nil
	})
	s.stopProc()
	if got := metricValue(t, scrape(t, s.http.URL), expired); got != 2 {
		t.Fatalf("%s = %v once the processors stopped, want 2: the beating instance expired too early for this test", expired, got)
	}
	const stalled = "expiring nothing: the servers table is not current"
	testenv.WaitFor(t, 60*time.Second, func() error {
		if !strings.Contains(logs.String(), stalled) {
			return fmt.Errorf("no stalled sweep logged yet")
		}
		return nil
	})
	before := metricValue(t, scrape(t, s.http.URL), sweeps)
	// The next failed round (each waits for the table up to its settle
	// timeout, 10 s) is logged again once the TTL has passed.
	testenv.WaitFor(t, 60*time.Second, func() error {
		if n := strings.Count(logs.String(), stalled); n < 2 {
			return fmt.Errorf("%d stalled sweeps logged, want 2", n)
		}
		return nil
	})
	m = scrape(t, s.http.URL)
	if got := metricValue(t, m, sweeps); got != before {
		t.Fatalf("%s moved from %v to %v while the table was not current", sweeps, before, got)
	}
	if got := metricValue(t, m, expired); got != 2 {
		t.Fatalf("%s = %v while stalled, want 2", expired, got)
	}

	runProcessors(t, s.kcfg, s.dir)
	waitMetrics(t, s.http.URL, "sweeps again and the wraith expired", func(m string) bool {
		return metricValue(t, m, sweeps) > before && metricValue(t, m, expired) == 3
	})
	testenv.WaitFor(t, 30*time.Second, func() error {
		if m := members(t, s.http.URL, "tomb"); m != "[]" {
			return fmt.Errorf("members of tomb %s, want the wraith expired", m)
		}
		return nil
	})
}
