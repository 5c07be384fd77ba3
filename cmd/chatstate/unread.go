package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/chatstate/chatstate/api"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/views"
	"github.com/urfave/cli/v2"
)

// printUnread prints user's read state in each room they joined, read from
// the users table (their rooms) and the rooms table (the counts): the
// figures of GET /api/users/{user}/unread.
func printUnread(c *cli.Context, user string) error {
	if err := codec.CheckName("user", user); err != nil {
		return fmt.Errorf("--unread: %w", err)
	}
	return withTable(c, views.NewUsers, func(_ kafka.Config, users *views.Users) error {
		u, err := users.Get(user)
		if err != nil {
			return err
		}
		if u == nil {
			return fmt.Errorf("user %s was never seen", user)
		}
		return withTable(c, views.NewRooms, func(_ kafka.Config, rooms *views.Rooms) error {
			out, err := api.UnreadOf(u, rooms.Get)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return printJSON(out)
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ROOM\tUNREAD\tMENTIONS\tREAD UP TO")
			for _, r := range out.Rooms {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", r.Room, r.Count, r.Mentions, r.Cursor)
			}
			return tw.Flush()
		})
	})
}
