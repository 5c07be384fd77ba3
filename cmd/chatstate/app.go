package main

import (
	"context"
	"strings"

	"github.com/urfave/cli/v2"
)

func newApp() *cli.App {
	return &cli.App{
		Name:  "chatstate",
		Usage: "a chat backend in which Kafka is the only source of truth",
		Flags: globalFlags(),
		Commands: []*cli.Command{
			devCommand(),
			brokerCommand(),
			processorCommand(),
			serverCommand(),
			roomsCommand(),
			usersCommand(),
			replayCommand(),
			verifyCommand(),
			rebuildCommand(),
			tokenCommand(),
			topicsCommand(),
		},
		Before: setupLogging,
		// Errors are printed once, by main, on one line.
		ExitErrHandler: func(*cli.Context, error) {},
	}
}

// run runs the command line args (program name first) until ctx is done.
func run(ctx context.Context, args []string) error {
	app := newApp()
	args, err := arrange(app, args)
	if err != nil {
		return err
	}
	return app.RunContext(ctx, args)
}

// env is the environment variable of a flag: CHATSTATE_ + NAME_IN_CAPS.
func env(flag string) []string {
	return []string{"CHATSTATE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}

// oneLine keeps an error to one line for the command line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
