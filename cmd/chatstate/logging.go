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
	opts := &slog.HandlerOptions{Level: level}
	switch c.String("log-format") {
	case "text":
		logger = slog.New(slog.NewTextHandler(os.Stderr, opts))
	case "json":
		logger = slog.New(slog.NewJSONHandler(os.Stderr, opts))
	default:
		return fmt.Errorf("bad --log-format %q: use text or json", c.String("log-format"))
	}
	slog.SetDefault(logger)
	return startDebug(c.String("debug-addr"))
}

// gokaLogger routes goka's messages (rebalances, recovery) to the process's
// logger at debug level: they are frequent and mostly of interest when
// something goes wrong.
func gokaLogger() *log.Logger { return slog.NewLogLogger(logger.Handler(), slog.LevelDebug) }
