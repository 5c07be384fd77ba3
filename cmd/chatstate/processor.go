package main

import (
	"context"
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
			if err := kafka.EnsureTopics(kcfg); err != nil {
				return err
			}
			return runProcessors(c.Context, kcfg, c.String("state-dir"), groups)
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
// after a failure (a broker outage, say).
func runProcessors(ctx context.Context, kcfg kafka.Config, stateDir string, groups []string) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, name := range groups {
		mk := map[string]func(kafka.Config, string, ...goka.ProcessorOption) (*goka.Processor, error){
			"rooms": processors.NewRooms, "users": processors.NewUsers, "servers": processors.NewServers,
		}[name]
		g.Go(func() error {
			logger.Info("processor started", "group", name, "partitions", kcfg.Partitions)
			err := processors.Supervise(gctx, name, logger, func() (*goka.Processor, error) {
				return mk(kcfg, stateDir, goka.WithLogger(gokaLogger()))
			})
			if err != nil {
				return fmt.Errorf("processor %s: %w", name, err)
			}
			logger.Info("processor stopped", "group", name)
			return nil
		})
	}
	return g.Wait()
}
