package main

import (
	"context"
	"path/filepath"

	"github.com/chatstate/chatstate/kafka"
	"github.com/urfave/cli/v2"
)

func devCommand() *cli.Command {
	return &cli.Command{
		Name:  "dev",
		Usage: "run everything in one process: embedded broker, the three processors (rooms, users, servers), the server",
		Flags: append(brokerFlags(), serverFlags()...),
		Action: func(c *cli.Context) (rerr error) {
			scfg, err := serverConfig(c)
			if err != nil {
				return err
			}
			if err := checkBrokerFlags(c); err != nil {
				return err
			}
			b, err := startBroker(c)
			if err != nil {
				return err
			}
			defer closeBroker(b, &rerr)
			kcfg, err := kafkaConfig(c, b.Addr())
			if err != nil {
				return err
			}
			kcfg.Dial = b.Dial
			if err := kafka.EnsureTopics(kcfg); err != nil {
				return err
			}
			state := filepath.Join(c.String("data-dir"), "state")

			// Stop in order: the server first, so that its goodbyes reach
			// the broker; then the processors; the broker last (deferred).
			srvCtx, stopSrv := context.WithCancel(c.Context)
			defer stopSrv()
			procCtx, stopProc := context.WithCancel(context.Background())
			procDone := make(chan error, 1)
			go func() {
				err := runProcessors(procCtx, kcfg, state, []string{"rooms", "users", "servers"}, nil)
				stopSrv() // a failed processor stops the whole process
				procDone <- err
			}()
			// The broker is this process's own: nothing to wait for.
			srvErr := runServer(srvCtx, kcfg, scfg, state, "--data-dir", c.String("http"), nil)
			stopProc()
			procErr := <-procDone
			if srvErr != nil {
				return srvErr
			}
			return procErr
		},
	}
}
