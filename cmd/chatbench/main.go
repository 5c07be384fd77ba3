// Command chatbench is a load generator for chatstate. It drives a running
// server over its real interfaces: WebSocket clients spread over rooms, and
// messages published at a fixed rate over WebSocket sends or the HTTP API.
// Every message carries its send time, so each receiving client measures
// delivery latency, and every delivery is accounted for per receiver, so
// lost and duplicated deliveries are counted exactly.
//
// It prints a readable table and a final one-line JSON report, and exits 0
// unless a delivery was lost or duplicated or the run could not be carried
// out (then 1). `chatbench fill` writes a synthetic log straight to Kafka,
// to measure recovery. See BENCHMARKS.md and scripts/bench for the
// workloads.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	app := &cli.App{
		Name:     "chatbench",
		Usage:    "measure a running chatstate: delivery latency, loss, throughput, server CPU and memory",
		Flags:    flags(),
		Commands: []*cli.Command{fillCommand()},
		Action: func(c *cli.Context) error {
			cfg, err := configFrom(c)
			if err != nil {
				return err
			}
			if cfg.StormRooms > 0 {
				rep, err := runStorm(c.Context, cfg)
				if rep != nil {
					rep.print(os.Stdout, cfg.JSONOnly)
				}
				if err == nil && !rep.OK {
					err = fmt.Errorf("%s", rep.Verdict)
				}
				return err
			}
			rep, err := run(c.Context, cfg)
			if rep != nil {
				rep.print(os.Stdout, cfg.JSONOnly)
			}
			if err != nil {
				return err
			}
			if !rep.OK {
				return fmt.Errorf("%s", rep.Verdict)
			}
			return nil
		},
		ExitErrHandler: func(*cli.Context, error) {},
	}
	err := app.RunContext(ctx, os.Args)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatbench:", strings.Join(strings.Fields(err.Error()), " "))
		os.Exit(1)
	}
}
