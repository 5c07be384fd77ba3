package main

import (
	"fmt"
	"time"

	"github.com/chatstate/chatstate/auth"
	"github.com/urfave/cli/v2"
)

func tokenCommand() *cli.Command {
	return &cli.Command{
		Name:  "token",
		Usage: "mint a token for a user, for development against a server with --auth-secret",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "user", Usage: "the user the token speaks for (required)"},
			&cli.DurationFlag{Name: "ttl", Value: 24 * time.Hour, Usage: "how long the token is valid"},
			&cli.StringFlag{Name: "auth-secret", EnvVars: env("auth-secret"), Usage: "the server's HS256 secret (required)"},
		},
		Action: func(c *cli.Context) error {
			if err := required(c, "user", "auth-secret"); err != nil {
				return err
			}
			if err := checkName("user", c.String("user")); err != nil {
				return err
			}
			if err := notEmpty(c, "auth-secret"); err != nil {
				return err
			}
			if err := positive(c, "ttl"); err != nil {
				return err
			}
			tok, err := auth.Mint(c.String("auth-secret"), c.String("user"), c.Duration("ttl"))
			if err != nil {
				return err
			}
			fmt.Println(tok)
			return nil
		},
	}
}
