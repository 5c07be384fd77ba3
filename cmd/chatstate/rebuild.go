package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/chatstate/chatstate/replay"
	"github.com/urfave/cli/v2"
)

func rebuildCommand() *cli.Command {
	return &cli.Command{
		Name:  "rebuild",
		Usage: "reset the rooms and users groups and clear their tables, so that the next processors recompute them from the log",
		Description: "Refuses while a processor of any of the three groups (rooms, users, servers) runs. Deletes the rooms\n" +
			"and users consumer groups and the records of the presence topic, and writes a tombstone for every key\n" +
			"of the rooms and users tables; the servers group and table are kept. Then start the processors.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Usage: "print what would be done and change nothing"},
			&cli.BoolFlag{Name: "force", Usage: "rebuild even though retention deleted the start of the events topic"},
		},
		Action: func(c *cli.Context) error {
			kcfg, err := oneShotKafka(c)
			if err != nil {
				return err
			}
			plan, err := replay.PlanRebuild(c.Context, kcfg)
			if err != nil {
				return err
			}
			if c.Bool("dry-run") {
				fmt.Println("dry run, nothing changed; a rebuild would:")
				plan.Describe(os.Stdout)
				return nil
			}
			fmt.Println("rebuilding:")
			plan.Describe(os.Stdout)
			if err := plan.Execute(c.Context, c.Bool("force")); err != nil {
				if errors.Is(err, replay.ErrTruncated) {
					return fmt.Errorf("%w; run with --force to rebuild anyway", err)
				}
				if c.Context.Err() != nil {
					// Each step can be done again: a second rebuild
					// plans what is left and finishes it.
					return fmt.Errorf("%w part way through the rebuild: run chatstate rebuild again before starting the processors", context.Cause(c.Context))
				}
				return err
			}
			fmt.Println("done: start the processors (chatstate processor) to recompute the tables from the log")
			return nil
		},
	}
}
