package main

import (
	"fmt"
	"log"
	"log/slog"
	"os"

	"github.com/urfave/cli/v2"
)

// logger is the process's logger, set up from --log-level before any
// command runs.
var logger = slog.Default()

func setupLogging(c *cli.Context) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return fmt.Errorf("bad --log-level %q: use debug, info, warn or error", c.String("log-level"))
	}
	logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)
	return nil
}

// gokaLogger routes goka's messages (rebalances, recovery) to the process's
// logger at debug level: they are frequent and mostly of interest when
// something goes wrong.
func gokaLogger() *log.Logger { return slog.NewLogLogger(logger.Handler(), slog.LevelDebug) }
