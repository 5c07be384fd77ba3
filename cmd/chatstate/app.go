package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

func newApp() *cli.App {
	app := &cli.App{
		Name:  "chatstate",
		Usage: "a chat backend in which Kafka is the only source of truth",
		Flags: globalFlags(),
		Commands: []*cli.Command{
			devCommand(),
			brokerCommand(),
			processorCommand(),
			serverCommand(),
			oneShot(roomsCommand()),
			oneShot(usersCommand()),
			oneShot(replayCommand()),
			oneShot(verifyCommand()),
			oneShot(rebuildCommand()),
			oneShot(tokenCommand()),
			oneShot(topicsCommand()),
			oneShot(sayCommand()),
			// Until stopped: a signal is its end, exit 0.
			tailCommand(),
		},
		Before: func(c *cli.Context) error {
			if err := checkGlobalFlags(c); err != nil {
				return err
			}
			return setupLogging(c)
		},
		// Without a command: the help; with an unknown one: its name.
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return fmt.Errorf("unknown command %q (see chatstate --help)", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		OnUsageError: usageError("chatstate"),
		// Errors are printed once, by main, on one line.
		ExitErrHandler: func(*cli.Context, error) {},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = usageError("chatstate " + cmd.Name)
		// No "help" subcommand: a room may be called help.
		cmd.HideHelpCommand = true
	}
	return app
}

// usageError makes a flag the parser refused the whole message: its reason
// and where to read more, rather than the help in front of it.
func usageError(cmd string) cli.OnUsageErrorFunc {
	return func(_ *cli.Context, err error, _ bool) error {
		return fmt.Errorf("%w (see %s --help)", err, cmd)
	}
}

// run runs the command line args (program name first) until ctx is done.
func run(ctx context.Context, args []string) error {
	app := newApp()
	args, err := arrange(app, args)
	if err != nil {
		return err
	}
	return unknownTopic(app.RunContext(ctx, args))
}

// unknownTopic words urfave/cli's answer to `help NOSUCH` as an unknown
// command at the top level is worded.
func unknownTopic(err error) error {
	const prefix = "No help topic for '"
	if msg := fmt.Sprint(err); err != nil && strings.HasPrefix(msg, prefix) && strings.HasSuffix(msg, "'") {
		return fmt.Errorf("unknown command %q (see chatstate --help)", strings.TrimSuffix(strings.TrimPrefix(msg, prefix), "'"))
	}
	return err
}

// env is the environment variable of a flag: CHATSTATE_ + NAME_IN_CAPS.
func env(flag string) []string {
	return []string{"CHATSTATE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}
