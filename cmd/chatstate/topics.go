package main

import (
	"github.com/chatstate/chatstate/kafka"
	"github.com/urfave/cli/v2"
)

// topicsCommand creates the missing topics and checks the others, then
// exits: the setup step of a deployment (docker-compose.yml runs it before
// the workers). Processors and servers do the same at start, so it is
// optional; it lets a deployment fail early, once, with one reason.
func topicsCommand() *cli.Command {
	return &cli.Command{
		Name:  "topics",
		Usage: "create the missing topics, check the others (partition count), and exit",
		Action: func(c *cli.Context) error {
			kcfg, err := oneShotKafka(c)
			if err != nil {
				return err
			}
			if err := kafka.EnsureTopicsContext(c.Context, kcfg); err != nil {
				return err
			}
			logger.Info("topics ready", "prefix", kcfg.Names.Prefix, "partitions", kcfg.Partitions,
				"replication", kcfg.Replication, "retention", kcfg.Retention.String())
			return nil
		},
	}
}
