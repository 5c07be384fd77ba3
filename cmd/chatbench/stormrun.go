package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// runStorm carries out the reconnect storm (see storm.go). It returns a
// report whenever anything was measured, and an error when the storm could
// not be carried out.
func runStorm(ctx context.Context, cfg config) (*stormReport, error) {
	if err := raiseFileLimit(cfg.Clients + cfg.StormConcurrency + cfg.Workers + 100); err != nil {
		return nil, err
	}
	if err := waitReady(ctx, cfg.URL, 30*time.Second); err != nil {
		return nil, err
	}
	rounds := cfg.StormHistory + cfg.StormAway
	f := &stormFleet{cfg: cfg, header: payloadHeader(cfg.Run), marker: []byte(`"text":"` + payloadHeader(cfg.Run)),
		led: newStormLedger(cfg.Rooms, rounds), members: make([]int64, cfg.Rooms)}
	rep := newStormReport(cfg)
	cpu0 := selfCPU()

	// Connect and join.
	all := make([]*stormClient, cfg.Clients)
	for i := range all {
		all[i] = newStormClient(cfg, i, len(f.led.room))
	}
	connectLat, resumeLat := newLatencies(16), newLatencies(16)
	s0, t0 := sampleProc(cfg.ServerPID), time.Now()
	var failures []string
	f.clients, failures, _ = f.connectAll(ctx, all, cfg.DialConcurrency, false, connectLat)
	rep.ConnectSeconds = time.Since(t0).Seconds()
	s1 := sampleProc(cfg.ServerPID)
	rep.Connected, rep.ConnectFailed = len(f.clients), cfg.Clients-len(f.clients)
	rep.ConnectLatency = summarize(connectLat.merged())
	rep.joinCPU(s0, s1, rep.Connected*cfg.StormRooms)
	for _, c := range f.clients {
		for _, r := range c.rooms {
			f.members[r]++
		}
	}
	fail := func(err error) (*stormReport, error) {
		f.closeAll(10 * time.Second)
		rep.finish(f, s0, s1, sampleProc(cfg.ServerPID), cpu0)
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		return rep, err
	}
	if rep.ConnectFailed > 0 || ctx.Err() != nil {
		return fail(fmt.Errorf("%d of %d clients could not connect, e.g. %s", rep.ConnectFailed, cfg.Clients, strings.Join(failures, "; ")))
	}
	rep.SettleSeconds = settle(ctx, cfg.ServerPID, cfg.Settle).Seconds()

	// History, delivered live.
	f.publish(ctx, f.ids(0, cfg.StormHistory))
	f.drain(ctx, cfg.Drain)

	// The cut, and messages published while the clients are away.
	t1 := time.Now()
	f.cut()
	rep.CutSeconds = time.Since(t1).Seconds()
	t2 := time.Now()
	f.publish(ctx, f.ids(cfg.StormHistory, rounds))
	rep.AwayPublishSeconds = time.Since(t2).Seconds()
	rep.StormSettleSeconds = settle(ctx, cfg.ServerPID, cfg.Settle).Seconds()

	// The storm.
	s2, t3 := sampleProc(cfg.ServerPID), time.Now()
	resumed, failures, last := f.connectAll(ctx, f.clients, cfg.StormConcurrency, true, resumeLat)
	s3 := sampleProc(cfg.ServerPID)
	rep.StormSeconds = last.Sub(t3).Seconds()
	rep.StormResumeLatency = summarize(resumeLat.merged())
	rep.StormReconnected, rep.StormFailed = len(resumed), len(f.clients)-len(resumed)
	rep.StormResumes = len(resumed) * cfg.StormRooms
	rep.stormCPU(s2, s3)
	if rep.StormFailed > 0 {
		rep.StormFailures = failures
	}
	f.drain(ctx, cfg.Drain)
	f.closeAll(10 * time.Second)
	rep.finish(f, s0, s1, sampleProc(cfg.ServerPID), cpu0)
	return rep, ctx.Err()
}
