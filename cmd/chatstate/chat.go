package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/chatstate/chatstate/client"
	"github.com/urfave/cli/v2"
)

// say and tail speak the WebSocket protocol to a running server, through
// package client, as any chat client does: they are the operator's view of
// a room from the outside.

func chatFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "url", Value: "http://127.0.0.1:8080", EnvVars: env("url"), Usage: "the server's base URL"},
		&cli.StringFlag{Name: "user", EnvVars: env("user"), Usage: "the user to speak as, on a server without --auth-secret"},
		&cli.StringFlag{Name: "token", EnvVars: env("token"), Usage: "a token (see chatstate token), on a server with --auth-secret"},
		&cli.StringFlag{Name: "room", Usage: "the room (required)"},
		&cli.BoolFlag{Name: "json", Usage: "print JSON"},
		&cli.DurationFlag{Name: "timeout", Value: 30 * time.Second, Usage: "how long to wait for the server's answers"},
	}
}

// chatOptions checks the flags of say and tail and returns the client's
// options.
func chatOptions(c *cli.Context) (client.Options, error) {
	if err := required(c, "room"); err != nil {
		return client.Options{}, err
	}
	if err := checkName("room", c.String("room")); err != nil {
		return client.Options{}, err
	}
	if err := positive(c, "timeout"); err != nil {
		return client.Options{}, err
	}
	user, token := c.String("user"), c.String("token")
	switch {
	case user == "" && token == "":
		return client.Options{}, fmt.Errorf("--user or --token is required (see chatstate %s --help)", c.Command.Name)
	case user != "" && token != "":
		return client.Options{}, errors.New("--user and --token exclude each other")
	case user != "":
		if err := checkName("user", user); err != nil {
			return client.Options{}, err
		}
	}
	u := c.String("url")
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "ws://") && !strings.HasPrefix(u, "wss://") {
		return client.Options{}, fmt.Errorf("--url must start with http://, https://, ws:// or wss://, got %q", u)
	}
	return client.Options{URL: u, User: user, Token: token, RequestTimeout: c.Duration("timeout")}, nil
}

func sayCommand() *cli.Command {
	return &cli.Command{
		Name:  "say",
		Usage: "post a message to a room over WebSocket and print its cursor once durable",
		Flags: append(chatFlags(), &cli.StringFlag{Name: "text", Usage: "the message (required)"}),
		Action: func(c *cli.Context) error {
			opts, err := chatOptions(c)
			if err != nil {
				return err
			}
			if err := required(c, "text"); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
			defer cancel()
			cl, err := client.Dial(ctx, opts)
			if err != nil {
				return err
			}
			defer cl.Close()
			room := c.String("room")
			r, err := cl.Join(ctx, room, client.JoinOptions{History: 1})
			if err != nil {
				return err
			}
			cursor, err := r.Send(ctx, c.String("text"))
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return printJSON(map[string]any{"room": room, "cursor": cursor})
			}
			fmt.Printf("posted to %s at cursor %d\n", room, cursor)
			return nil
		},
	}
}

func tailCommand() *cli.Command {
	return &cli.Command{
		Name:  "tail",
		Usage: "follow a room over WebSocket: its recent messages, then every event, resuming after a lost connection, until stopped",
		Flags: append(chatFlags(), &cli.IntFlag{Name: "history", Value: 10, Usage: "recent messages to print first (1 to 500)"}),
		Action: func(c *cli.Context) error {
			opts, err := chatOptions(c)
			if err != nil {
				return err
			}
			if n := c.Int("history"); n < 1 || n > 500 {
				return fmt.Errorf("--history must be 1 to 500, got %d", n)
			}
			opts.OnState = func(s client.State) {
				if s == client.Reconnecting || s == client.Live {
					slog.Info("connection " + s.String())
				}
			}
			dctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
			defer cancel()
			cl, err := client.Dial(dctx, opts)
			if err != nil {
				return stoppedOr(c, err)
			}
			defer cl.Close()
			r, err := cl.Join(dctx, c.String("room"), client.JoinOptions{History: c.Int("history")})
			if err != nil {
				return stoppedOr(c, err)
			}
			p := tailPrinter{json: c.Bool("json"), enc: json.NewEncoder(os.Stdout)}
			for _, e := range r.Snapshot().Events {
				p.entry(e)
			}
			for {
				select {
				case <-c.Context.Done():
					return nil
				case u, ok := <-r.Updates():
					if !ok {
						if err := r.Err(); err != nil && !errors.Is(err, client.ErrClosed) {
							return err
						}
						return nil
					}
					p.update(u)
				}
			}
		},
	}
}

// tailPrinter writes what tail receives: one line per event, and a line
// where the stream has a gap or starts afresh.
type tailPrinter struct {
	json bool
	enc  *json.Encoder
}

func (p tailPrinter) update(u client.Update) {
	switch u.Kind {
	case client.EventUpdate:
		p.entry(u.Entry)
	case client.GapUpdate, client.ResetUpdate:
		what := "gap"
		if u.Kind == client.ResetUpdate {
			what = "reset"
		}
		if p.json {
			_ = p.enc.Encode(map[string]any{what: true, "cursor": u.Snapshot.Cursor, "epoch": u.Snapshot.Epoch})
		} else if what == "gap" {
			fmt.Println("-- some events were lost while the connection was down --")
		} else {
			fmt.Printf("-- the room starts afresh (epoch %s) --\n", u.Snapshot.Epoch)
		}
		if u.Kind == client.ResetUpdate {
			for _, e := range u.Snapshot.Events {
				p.entry(e)
			}
		}
	}
}

func (p tailPrinter) entry(e client.Entry) {
	if p.json {
		_ = p.enc.Encode(struct {
			Cursor int64           `json:"cursor"`
			Event  json.RawMessage `json:"event"`
		}{e.Cursor, e.Event.Raw})
		return
	}
	ev := e.Event
	switch ev.Type {
	case "message":
		fmt.Printf("%s %s: %s\n", ev.TS, ev.User, ev.Text)
	default:
		fmt.Printf("%s %s %s\n", ev.TS, ev.User, ev.Type)
	}
}

// stoppedOr returns err, or nil if the command was stopped: tail runs until
// stopped, so a signal while it connects ends it as one later would.
func stoppedOr(c *cli.Context, err error) error {
	if c.Context.Err() != nil {
		return nil
	}
	return err
}
