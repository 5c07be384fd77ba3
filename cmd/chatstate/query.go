package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/api"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/views"
	"github.com/urfave/cli/v2"
)

// The bounds and defaults of --limit are those of ?limit= in GET /api/rooms
// and GET /api/users.
const (
	roomsLimit, maxRoomsLimit = 100, 10000
	usersLimit, maxUsersLimit = 1000, 100000
)

func queryFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "json", Usage: "print JSON"},
		&cli.DurationFlag{Name: "timeout", Value: 60 * time.Second, Usage: "how long to wait for the tables to load"},
	}
}

// withTable runs a view of one table in a temporary directory until fn has
// read what it needs.
func withTable[T any](c *cli.Context, mk func(kafka.Config, string, ...views.Option) (*views.Table[T], error), fn func(kafka.Config, *views.Table[T]) error) error {
	if err := positive(c, "timeout"); err != nil {
		return err
	}
	// A clear, quick reason when the brokers are out of reach or refuse
	// us; every client below ends with the command.
	kcfg, err := oneShotKafka(c)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "chatstate-query-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	v, err := mk(kcfg, dir, views.WithGokaOptions())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	if err := v.WaitReady(ctx); err != nil {
		cancel()
		if runErr := <-done; runErr != nil {
			return runErr
		}
		return fmt.Errorf("tables not loaded: %w", err)
	}
	err = fn(kcfg, v)
	cancel()
	<-done
	return err
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func roomsCommand() *cli.Command {
	return &cli.Command{
		Name:      "rooms",
		Usage:     "list rooms, or show one room, read from the tables",
		ArgsUsage: "[ROOM]",
		Flags: append(queryFlags(),
			&cli.StringFlag{Name: "prefix", Usage: "only rooms whose name starts with this"},
			&cli.IntFlag{Name: "limit", Value: roomsLimit, Usage: fmt.Sprintf("at most this many rooms (1 to %d)", maxRoomsLimit)}),
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return fmt.Errorf("rooms takes at most one ROOM, got %d arguments", c.NArg())
			}
			if c.NArg() == 1 {
				if err := checkName("room", c.Args().First()); err != nil {
					return err
				}
			}
			if err := between(c, "limit", 1, maxRoomsLimit); err != nil {
				return err
			}
			if err := namePrefix(c, "prefix"); err != nil {
				return err
			}
			return withTable(c, views.NewRooms, func(kcfg kafka.Config, v *views.Rooms) error {
				if c.NArg() == 1 {
					return showRoom(c, kcfg, v, c.Args().First())
				}
				rows, err := v.List(c.String("prefix"), c.Int("limit"), nil)
				if err != nil {
					return err
				}
				list := make([]api.RoomSummary, len(rows))
				for i, r := range rows {
					list[i] = api.SummaryOf(r)
				}
				if c.Bool("json") {
					return printJSON(map[string]any{"rooms": list})
				}
				tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ROOM\tMEMBERS\tMESSAGES\tUPDATED\tCURSOR")
				for _, r := range list {
					fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\n", r.Room, r.Members, r.Messages, r.Updated, r.Cursor)
				}
				return tw.Flush()
			})
		},
	}
}

func showRoom(c *cli.Context, kcfg kafka.Config, v *views.Rooms, name string) error {
	row, err := v.Get(name)
	if err != nil {
		return err
	}
	if row == nil {
		return fmt.Errorf("room %s was never seen", name)
	}
	client, err := sarama.NewClient(kcfg.Brokers, kcfg.Sarama("query"))
	if err != nil {
		return err
	}
	defer client.Close()
	epoch, err := kafka.Epoch(client, kcfg)
	if err != nil {
		return err
	}
	room := api.RoomOf(row, epoch)
	if c.Bool("json") {
		return printJSON(room)
	}
	printRoom(os.Stdout, room)
	return nil
}

// printRoom writes room as `chatstate rooms ROOM` shows it: a line per
// field of its --json, rules included (the command line sees the bans and
// mutes, as the API key does), then a line per member.
func printRoom(w io.Writer, room api.RoomJSON) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	field := func(name string, v any) { fmt.Fprintf(tw, "%s\t%v\n", name, v) }
	field("room", room.Room)
	field("cursor", room.Cursor)
	field("epoch", room.Epoch)
	field("messages", room.Messages)
	field("created", room.Created)
	field("updated", room.Updated)
	field("owner", orNone(room.Owner))
	field("moderators", nameList(room.Moderators))
	field("private", yesNo(room.Private))
	// Quoted: a topic is free text, which may hold line breaks; "" is none.
	field("topic", strconv.Quote(room.Topic))
	if len(room.DM) > 0 {
		field("dm", nameList(room.DM))
	}
	if room.Banned != nil {
		field("banned", nameList(*room.Banned))
	}
	if room.Muted != nil {
		field("muted", nameList(*room.Muted))
	}
	field("members", len(room.Members))
	_ = tw.Flush()
	for _, m := range room.Members {
		fmt.Fprintf(w, "  %s (%d sessions)\n", m.User, m.Sessions)
	}
}

// nameList lists names, "(none)" when there are none.
func nameList(list []string) string { return orNone(strings.Join(list, ", ")) }

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func usersCommand() *cli.Command {
	return &cli.Command{
		Name:  "users",
		Usage: "list users, read from the tables",
		Flags: append(queryFlags(),
			&cli.BoolFlag{Name: "online", Usage: "only users with a live session"},
			&cli.StringFlag{Name: "prefix", Usage: "only users whose name starts with this"},
			&cli.IntFlag{Name: "limit", Value: usersLimit, Usage: fmt.Sprintf("at most this many users (1 to %d)", maxUsersLimit)},
			&cli.StringFlag{Name: "unread", Usage: "instead of the list, `USER`'s unread counts and mentions in each room they joined"}),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("users takes no arguments, got %q", c.Args().First())
			}
			if c.IsSet("unread") {
				return printUnread(c, c.String("unread"))
			}
			if err := between(c, "limit", 1, maxUsersLimit); err != nil {
				return err
			}
			if err := namePrefix(c, "prefix"); err != nil {
				return err
			}
			return withTable(c, views.NewUsers, func(_ kafka.Config, v *views.Users) error {
				var keep func(*codec.UserState) bool
				if c.Bool("online") {
					keep = func(u *codec.UserState) bool { return u.SessionCount() > 0 }
				}
				rows, err := v.List(c.String("prefix"), c.Int("limit"), keep)
				if err != nil {
					return err
				}
				list := make([]api.UserJSON, len(rows))
				for i, u := range rows {
					list[i] = api.UserOf(u)
				}
				if c.Bool("json") {
					return printJSON(map[string]any{"users": list})
				}
				tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "USER\tSESSIONS\tROOMS\tLAST SEEN")
				for _, u := range list {
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", u.User, u.Sessions, strings.Join(u.Rooms, ","), u.LastSeen)
				}
				return tw.Flush()
			})
		},
	}
}
