package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
	"github.com/lovoo/goka"
	"github.com/urfave/cli/v2"
	"golang.org/x/sync/errgroup"
)

func processorCommand() *cli.Command {
	return &cli.Command{
		Name:  "processor",
		Usage: "run the goka processors as a worker of their consumer groups",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "groups", Value: "rooms,users,servers", EnvVars: env("groups"), Usage: "which groups to run, of rooms, users and servers (presence expiry)"},
			stateDirFlag("./chatstate-state"),
			kafkaWaitFlag(),
		},
		Action: func(c *cli.Context) error {
			groups, err := parseGroups(c.String("groups"))
			if err != nil {
				return err
			}
			if err := notEmpty(c, "state-dir"); err != nil {
				return err
			}
			kcfg, err := kafkaConfig(c, "")
			if err != nil {
				return err
			}
			w, err := newWaiter(c, kcfg)
			if err != nil {
				return err
			}
			err = w.do(c.Context, "topics", func() error { return ensureTopics(c.Context, kcfg) }, nil)
			if errors.Is(err, errStopped) {
				logger.Info("stopped before Kafka was reachable")
				return nil
			}
			if err != nil {
				return err
			}
			return runProcessors(c.Context, kcfg, c.String("state-dir"), groups, w)
		},
	}
}

func parseGroups(s string) ([]string, error) {
	var out []string
	for _, g := range strings.Split(s, ",") {
		switch g = strings.TrimSpace(g); g {
		case "rooms", "users", "servers":
			out = append(out, g)
		case "":
		default:
			return nil, fmt.Errorf("unknown group %q in --groups: use rooms, users, servers", g)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--groups names no group")
	}
	return out, nil
}

// runProcessors runs the named groups until ctx is done, each restarted
// after a failure (a broker outage, say). The first build of each, which
// connects to Kafka, waits as w says (nil: tried once).
func runProcessors(ctx context.Context, kcfg kafka.Config, stateDir string, groups []string, w *waiter) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, name := range groups {
		mk := map[string]func(kafka.Config, string, ...goka.ProcessorOption) (*goka.Processor, error){
			"rooms": processors.NewRooms, "users": processors.NewUsers, "servers": processors.NewServers,
		}[name]
		g.Go(func() error {
			logger.Info("processor started", "group", name, "partitions", kcfg.Partitions)
			build := func() (*goka.Processor, error) { return mk(kcfg, stateDir, goka.WithLogger(gokaLogger())) }
			first := true
			err := processors.Supervise(gctx, name, logger, func() (p *goka.Processor, err error) {
				if !first {
					return build()
				}
				first = false
				err = w.do(gctx, "processor "+name, func() (err error) { p, err = build(); return err }, nil)
				return p, err
			})
			if errors.Is(err, errStopped) {
				err = nil
			}
			if err != nil {
				return fmt.Errorf("processor %s: %w", name, err)
			}
			logger.Info("processor stopped", "group", name)
			return nil
		})
	}
	return g.Wait()
}
