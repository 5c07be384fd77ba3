// Package kafka holds what every chatstate component shares about Kafka: the
// typed names of topics, tables and groups derived from the topic prefix, the
// sarama configuration that the contract needs (acks=all, idempotent
// producer, no flush delay, streams read from the oldest offset), topic
// creation with the right settings, the epoch that names the log, and the
// one partition reader that every reader of the log uses.
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
//
// # Reading partitions
//
// Reader reads offset ranges of partitions through a sarama consumer, for
// the log reads of requests and replay. It deals with
// what sarama leaves to its user: when retention deletes records before a
// read reaches them, sarama reports ErrOffsetOutOfRange and closes the
// partition consumer's channels; Reader then tells its Handler which
// offsets were skipped and reads on from the partition's earliest offset.
// A Read ends with its context, and waits for its partition consumer to
// close before it returns, so no goroutine of it outlives the call.
//
// Follower reads every partition of a topic as it is written, through one
// franz-go (kgo) client: the server's tail, on the delivery path, where
// sarama's consumer cost three goroutine hand-offs per fetch. Records
// deleted under it, and a log shorter than what it read, are told to its
// handler as Reader tells them, and it reads on from what is there.
package kafka
