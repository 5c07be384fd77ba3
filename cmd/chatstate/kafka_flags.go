package main

import (
	"github.com/chatstate/chatstate/kafka"
	"github.com/urfave/cli/v2"
)

// kafkaConnFlags are the global flags of how to connect to the brokers:
// client id, TLS and SASL. Each is also read from CHATSTATE_<NAME>.
func kafkaConnFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "client-id", Value: "chatstate", EnvVars: env("client-id"), Usage: "prefix of the Kafka client id of every connection (quotas, broker logs)"},
		&cli.BoolFlag{Name: "kafka-tls", EnvVars: env("kafka-tls"), Usage: "connect to the brokers with TLS, verified with the system's CAs"},
		&cli.StringFlag{Name: "kafka-tls-ca", EnvVars: env("kafka-tls-ca"), Usage: "PEM file of the CAs that sign the brokers' certificates (implies TLS)"},
		&cli.StringFlag{Name: "kafka-tls-cert", EnvVars: env("kafka-tls-cert"), Usage: "PEM client certificate for mutual TLS (with --kafka-tls-key)"},
		&cli.StringFlag{Name: "kafka-tls-key", EnvVars: env("kafka-tls-key"), Usage: "PEM key of --kafka-tls-cert"},
		&cli.BoolFlag{Name: "kafka-tls-insecure-skip-verify", EnvVars: env("kafka-tls-insecure-skip-verify"), Usage: "TLS without checking the brokers' certificates: for development only"},
		&cli.StringFlag{Name: "kafka-sasl-mechanism", EnvVars: env("kafka-sasl-mechanism"), Usage: "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (empty: no SASL)"},
		&cli.StringFlag{Name: "kafka-sasl-user", EnvVars: env("kafka-sasl-user"), Usage: "SASL user"},
		&cli.StringFlag{Name: "kafka-sasl-password", EnvVars: env("kafka-sasl-password"), Usage: "SASL password (prefer --kafka-sasl-password-file or the environment)"},
		&cli.StringFlag{Name: "kafka-sasl-password-file", EnvVars: env("kafka-sasl-password-file"), Usage: "file holding the SASL password"},
	}
}

// kafkaSecurity is the Security the flags ask for; kafka.Config.WithDefaults
// checks it and reads its files.
func kafkaSecurity(c *cli.Context) kafka.Security {
	if c.Bool("kafka-tls-insecure-skip-verify") {
		logger.Warn("TLS to the brokers without verifying their certificates (--kafka-tls-insecure-skip-verify): for development only")
	}
	return kafka.Security{
		TLS:                c.Bool("kafka-tls"),
		CAFile:             c.String("kafka-tls-ca"),
		CertFile:           c.String("kafka-tls-cert"),
		KeyFile:            c.String("kafka-tls-key"),
		InsecureSkipVerify: c.Bool("kafka-tls-insecure-skip-verify"),
		SASLMechanism:      c.String("kafka-sasl-mechanism"),
		SASLUser:           c.String("kafka-sasl-user"),
		SASLPassword:       c.String("kafka-sasl-password"),
		SASLPasswordFile:   c.String("kafka-sasl-password-file"),
	}
}
