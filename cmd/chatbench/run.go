package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// run carries out one measurement: connect, publish (or hold idle), drain,
// close, account. It returns a report whenever anything was measured, and
// an error when the run could not be carried out.
func run(ctx context.Context, cfg config) (*report, error) {
	if err := raiseFileLimit(cfg.Clients + cfg.Workers + 100); err != nil {
		return nil, err
	}
	if err := waitReady(ctx, cfg.URL, 30*time.Second); err != nil {
		return nil, err
	}
	led := newLedger(cfg.total())
	f := newFleet(cfg, led)
	rep := newReport(cfg)

	s0, cpu0 := sampleProc(cfg.ServerPID), selfCPU()
	t0 := time.Now()
	failures, failed := f.connectAll(ctx)
	rep.ConnectSeconds = time.Since(t0).Seconds()
	rep.Connected, rep.ConnectFailed = len(f.all), failed
	rep.ConnectLatency = summarize(f.connect.merged())
	rep.joinCPU(s0, sampleProc(cfg.ServerPID), rep.Connected)
	if failed > 0 || ctx.Err() != nil {
		s1 := sampleProc(cfg.ServerPID)
		f.closeAll(10 * time.Second)
		rep.finish(f, s0, s1, s1, cpu0, 0)
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		return rep, fmt.Errorf("%d of %d clients could not connect, e.g. %s", failed, cfg.Clients, strings.Join(failures, "; "))
	}
	// Let the joins' own events reach the other members, and the server
	// digest the join storm, before measuring.
	rep.SettleSeconds = settle(ctx, cfg.ServerPID, cfg.Settle).Seconds()
	s1 := sampleProc(cfg.ServerPID)

	var window time.Duration
	if cfg.Rate == 0 {
		sleep(ctx, cfg.Duration)
		window = cfg.Duration
	} else {
		pub := newPublisher(cfg, f, led)
		m0 := scrapeMetrics(cfg.URL)
		stopDuring := startDuring(cfg.During)
		start := time.Now()
		pub.run(ctx)
		stopDuring()
		rep.PublishSeconds = time.Since(start).Seconds()
		rep.PublisherMaxLagMs = float64(pub.lag()) / float64(time.Millisecond)
		f.drain(ctx, cfg.Drain)
		window = time.Since(start)
		m1 := scrapeMetrics(cfg.URL)
		rep.ServerProduceMeanMs = produceMeanMs(m0, m1)
		rep.ServerQueued = int64(m1.deliveries - m0.deliveries)
	}
	s2 := sampleProc(cfg.ServerPID)
	f.closeAll(10 * time.Second)
	rep.finish(f, s0, s1, s2, cpu0, window)
	return rep, ctx.Err()
}

// drain waits until every sent message is answered and every delivery of
// an acked message arrived, or timeout passes.
func (f *fleet) drain(ctx context.Context, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		sent, acked, failed := f.ledger.counts()
		if sent == acked+failed && f.delivered.Load() >= f.expected() {
			return
		}
		sleep(ctx, 20*time.Millisecond)
	}
}

// expected is how many deliveries the acked messages owe: one to every
// connected member of their room.
func (f *fleet) expected() int64 {
	var n int64
	for id := range f.ledger.state {
		if f.ledger.state[id].Load() == msgAcked {
			n += int64(len(f.byRoom[id%f.cfg.Rooms]))
		}
	}
	return n
}

// lost counts, per receiver, the acked messages of its room that never
// arrived. Read loops must have ended.
func (f *fleet) lost() int64 {
	var n int64
	for _, c := range f.all {
		for id := c.room; id < len(f.ledger.state); id += f.cfg.Rooms {
			k := id / f.cfg.Rooms
			if f.ledger.state[id].Load() == msgAcked && c.seen[k/64]&(1<<(k%64)) == 0 {
				n++
			}
		}
	}
	return n
}

// waitReady polls /readyz until it answers 200.
func waitReady(ctx context.Context, base string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("server at %s not ready: %s", base, last)
		}
		sleep(ctx, 200*time.Millisecond)
	}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// startDuring starts cmd (with sh -c) for the publishing phase, e.g. a
// profiler attached to the server, and returns what interrupts it (SIGINT)
// and waits for it to finish, at most 30 seconds. An empty cmd does
// nothing.
func startDuring(cmd string) (stop func()) {
	if cmd == "" {
		return func() {}
	}
	c := exec.Command("sh", "-c", cmd)
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "chatbench: --during: %v\n", err)
		return func() {}
	}
	return func() {
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGINT)
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
}

// settle waits at least a second, then, with a server pid, until the
// server uses less than a fifth of a core over a second, at most limit
// in all. It returns how long it waited.
func settle(ctx context.Context, pid int, limit time.Duration) time.Duration {
	start := time.Now()
	sleep(ctx, time.Second)
	prev := sampleProc(pid)
	for prev.Failed == "" && time.Since(start) < limit && ctx.Err() == nil {
		sleep(ctx, time.Second)
		cur := sampleProc(pid)
		if cur.Failed != "" || (cur.CPU-prev.CPU).Seconds()/cur.At.Sub(prev.At).Seconds() < 0.2 {
			break
		}
		prev = cur
	}
	return time.Since(start)
}
