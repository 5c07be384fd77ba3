package main

import (
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/api"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/logread"
	"github.com/chatstate/chatstate/replay"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/urfave/cli/v2"
)

func replayCommand() *cli.Command {
	return &cli.Command{
		Name:  "replay",
		Usage: "a room's state as of a cursor or a time, folded from the log with the processors' functions",
		Description: "Prints the room as GET /api/rooms/{room} does, or with --events the events folded.\n" +
			"--until folds the room's events up to, not including, the first one stamped later than TIME.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "room", Usage: "the room (required)"},
			&cli.Int64Flag{Name: "until-cursor", Usage: "the last `CURSOR` to fold", DefaultText: "the end of the log"},
			&cli.StringFlag{Name: "until", Usage: "fold the events stamped (event ts) at or before this RFC 3339 `TIME`"},
			&cli.BoolFlag{Name: "events", Usage: "print the events folded instead of the state"},
			// Replay prints JSON only; --json is there for the
			// scripts that give it to every query.
			&cli.BoolFlag{Name: "json", Usage: "print JSON (always so)"},
		},
		Action: func(c *cli.Context) error {
			if err := required(c, "room"); err != nil {
				return err
			}
			room := c.String("room")
			if err := checkName("room", room); err != nil {
				return err
			}
			b := replay.Bound{Cursor: replay.NoCursor}
			if c.IsSet("until-cursor") {
				if b.Cursor = c.Int64("until-cursor"); b.Cursor < 0 {
					return fmt.Errorf("--until-cursor must be 0 or more, got %d", b.Cursor)
				}
			}
			if s := c.String("until"); s != "" {
				var err error
				if b.Until, err = time.Parse(time.RFC3339Nano, s); err != nil {
					return fmt.Errorf("--until %q is not a time: use RFC 3339, such as 2024-05-01T14:02:00Z", s)
				}
			}
			if c.NArg() > 0 {
				return fmt.Errorf("replay takes no arguments (the room is --room), got %q", c.Args().First())
			}
			kcfg, err := oneShotKafka(c)
			if err != nil {
				return err
			}
			// The log reader reads only ranges known to be written and
			// waits for its last fetch: no long poll.
			sc := kcfg.Sarama("replay")
			sc.Consumer.MaxWaitTime = 5 * time.Millisecond
			client, err := sarama.NewClient(kcfg.Brokers, sc)
			if err != nil {
				return fmt.Errorf("connect to %v: %w", kcfg.Brokers, err)
			}
			defer client.Close()
			r := logread.New(client, kcfg)
			opts := replay.RoomOptions{Bound: b, Events: c.Bool("events")}
			if start, _, err := r.Bounds(room); err != nil {
				return err
			} else if start > 0 {
				// Retention cut the partition: the row tells whether the
				// room began before the cut.
				if opts.Row, err = replay.RoomRow(c.Context, kcfg, room); err != nil {
					return err
				}
			}
			res, err := replay.Room(c.Context, r, room, opts)
			if err != nil {
				return err
			}
			if c.Bool("events") {
				return printJSON(map[string]any{"events": entries(res.Events)})
			}
			epoch, err := kafka.Epoch(client, kcfg)
			if err != nil {
				return err
			}
			return printJSON(api.RoomOf(res.State, epoch))
		},
	}
}

// entries returns the events as GET /api/rooms/{room}/events shows them:
// each message in its state as of the last of them (its edits, deletes and
// reactions up to there), so that replay --until-cursor N shows the
// messages as they were at N.
func entries(es []logread.Entry) []protocol.Entry {
	out := make([]protocol.Entry, len(es))
	for i, e := range es {
		out[i] = protocol.Entry{Cursor: e.Cursor, Event: e.Event.Public()}
	}
	return protocol.Current(out)
}
