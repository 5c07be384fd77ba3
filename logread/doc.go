// Package logread reads a room's events straight from the events topic, by
// cursor range: for history, resume, catch-up, the events API and replay.
//
// A room lives in exactly one partition (key = room), so a cursor range of a
// room is an offset range of one partition; records of other rooms and
// records that do not decode or validate are passed over, as the processors
// pass them over.
//
// # Retention
//
// Kafka may have deleted the start of a range. Scan raises the range to the
// first retained offset and returns that offset, so that a caller who asked
// for less can tell its client that events were truncated; records deleted
// while a scan runs are passed over the same way.
//
// # Concurrency and errors
//
// A Reader is safe for concurrent use by any number of goroutines: each Scan
// reads through a partition consumer of its own on the shared sarama client,
// which the Reader neither owns nor closes. Bounds and Scan block on Kafka;
// Scan returns when its callback says stop, its range is read or its context
// ends, and leaves no goroutine behind. Every error of talking to Kafka,
// the end of a Scan's context included, wraps ErrUnavailable.
package logread
