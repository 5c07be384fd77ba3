// Package embedded runs the embedded Kafka-protocol broker (kfake) that
// `chatstate dev`, `chatstate broker` and the tests use.
//
// # Persistence
//
// With a data dir, the broker keeps every topic, offset and group on disk
// and reloads them at start, so that state survives restarts. A fresh data
// dir gets a fresh random cluster id, which the broker persists: the epoch of
// the log changes when, and only when, the log is new. The state is written
// in full when the broker closes; Close returns an error wrapping ErrPersist
// when that failed, because kfake itself only logs it.
//
// # Logging
//
// kfake's log goes to Config.Logger, its levels mapped to slog's: errors and
// warnings as such, its per-request info messages at debug level.
//
// # Concurrency and errors
//
// Start blocks until the broker accepts connections, and fails with an error
// wrapping ErrAddr for an unusable address (before anything starts) or with
// kfake's error (a port in use, a data dir it cannot load). A Broker's
// methods may be called from any goroutine. Close blocks until the listener
// is closed and, with a data dir, the state is written; it is idempotent and
// returns the first call's result to every later call.
package embedded
