// Package kafka holds what every chatstate component shares about Kafka: the
// typed names of topics, tables and groups derived from the topic prefix, the
// sarama configuration that the contract needs (acks=all, idempotent
// producer, no flush delay, streams read from the oldest offset), topic
// creation with the right settings, and the epoch that names the log.
//
// The sarama configuration is built per component and never installed as
// goka's process-global config, so that several components with different
// client ids can run in one process and in tests.
//
// # Security
//
// Config.Security adds TLS (system or given CAs, client certificates) and
// SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) to every connection.
// Config.WithDefaults checks it and reads its files, so a bad setting is an
// error at start; a broker that refuses the credentials is one too, from
// EnsureTopics (which processors and servers run first) or Ping (queries).
package kafka
