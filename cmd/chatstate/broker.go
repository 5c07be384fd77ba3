package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/chatstate/chatstate/embedded"
	"github.com/urfave/cli/v2"
)

func brokerFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "broker-addr", Value: "127.0.0.1:9092", EnvVars: env("broker-addr"), Usage: "address the embedded broker listens on"},
		&cli.StringFlag{Name: "data-dir", Value: "./chatstate-data", EnvVars: env("data-dir"), Usage: "where all state is kept; it survives restarts; one process at a time holds it"},
	}
}

// checkBrokerFlags refuses the flags of brokerFlags that cannot work.
func checkBrokerFlags(c *cli.Context) error {
	if err := listenAddr(c, "broker-addr"); err != nil {
		return err
	}
	return notEmpty(c, "data-dir")
}

// startBroker starts the embedded broker on --data-dir, the first thing
// that opens the dir: while another process holds it (its broker's lock),
// nothing is written there and the command fails at once.
func startBroker(c *cli.Context) (*embedded.Broker, error) {
	b, err := embedded.Start(embedded.Config{Addr: c.String("broker-addr"), DataDir: filepath.Join(c.String("data-dir"), "kafka"), Logger: logger})
	if errors.Is(err, embedded.ErrDataDirInUse) {
		return nil, fmt.Errorf("%w: a --data-dir serves one chatstate dev or chatstate broker at a time", err)
	}
	return b, err
}

// closeBroker closes b and joins the error of writing its state to *err,
// for a deferred call: a broker that could not persist what it acknowledged
// makes the command fail, and main reports why.
func closeBroker(b *embedded.Broker, err *error) {
	*err = errors.Join(*err, b.Close())
}

func brokerCommand() *cli.Command {
	return &cli.Command{
		Name:  "broker",
		Usage: "run the embedded Kafka-protocol broker alone",
		Flags: brokerFlags(),
		Action: func(c *cli.Context) (rerr error) {
			if err := checkBrokerFlags(c); err != nil {
				return err
			}
			b, err := startBroker(c)
			if err != nil {
				return err
			}
			defer closeBroker(b, &rerr)
			logger.Info("embedded broker listening", "addr", b.Addr(), "data-dir", c.String("data-dir"))
			<-c.Context.Done()
			logger.Info("embedded broker stopping")
			return nil
		},
	}
}
