package main

import (
	"context"
	"errors"
	"strings"

	"github.com/chatstate/chatstate/kafka"
	"github.com/urfave/cli/v2"
)

// The one-shot commands (rooms, users, replay, verify, rebuild, topics, say,
// token) do one thing and exit; README "Command line" promises of each:
//
//   - SIGINT or SIGTERM stops it within a second or two, exit 1 with the
//     one line `chatstate: interrupted by SIGINT` (or SIGTERM);
//   - against brokers that cannot be reached it fails with one line: within
//     seconds when refused, about 12 seconds when a broker accepts
//     connections and never answers.
//
// oneShot gives a command the first, its reason; oneShotKafka both, for
// the commands that read or write Kafka.

// oneShot returns cmd whose failure after a signal is reported as the
// signal's interruption: what failed then is the signal's doing (a
// connection closed under a request, a context cancelled), not news.
// A reason that begins with the interruption is kept: it says more (what
// rebuild left undone).
func oneShot(cmd *cli.Command) *cli.Command {
	action := cmd.Action
	cmd.Action = func(c *cli.Context) error {
		err := action(c)
		if err == nil || c.Context.Err() == nil {
			return err
		}
		var sig interruption
		if cause := context.Cause(c.Context); errors.As(cause, &sig) && !strings.HasPrefix(err.Error(), sig.Error()) {
			return sig
		}
		return err
	}
	return cmd
}

// oneShotKafka returns the Kafka configuration of the global flags for a
// one-shot command, once the brokers have answered.
//
// Every connection of every client made from it is closed when the
// command's context ends (kafka.Config.WithContext): sarama's calls take no
// context, and a request to a broker that does not answer would otherwise
// hold the command for its read timeout (30 s), retried, signal or not.
//
// Before it returns, kafka.Ping has asked the brokers for metadata with
// short timeouts and no retry, which bounds the wait on a broker that
// accepts connections and never answers to about 12 s; the clients made
// later, with sarama's usual timeouts, would take minutes to give up.
func oneShotKafka(c *cli.Context) (kafka.Config, error) {
	kcfg, err := kafkaConfig(c, "")
	if err != nil {
		return kcfg, err
	}
	kcfg = kcfg.WithContext(c.Context)
	return kcfg, kafka.Ping(kcfg)
}
