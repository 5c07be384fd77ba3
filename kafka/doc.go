// Package kafka holds what every chatstate component shares about Kafka: the
// typed names of topics, tables and groups derived from the topic prefix, the
// sarama configuration that the contract needs (acks=all, idempotent
// producer, no flush delay, streams read from the oldest offset), topic
// creation with the right settings, and the epoch that names the log.
//
// The sarama configuration is built per component and never installed as
// goka's process-global config, so that several components with different
// client ids can run in one process and in tests.
package kafka
