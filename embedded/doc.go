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
// A data dir belongs to one broker at a time: Start locks it (an advisory
// lock of the file "lock" in it, internal/dirlock) before kfake reads or
// writes anything there, and Close unlocks it once the state is written.
// Two brokers on one dir would each acknowledge writes, and the state that
// the last to close writes would lose the other's. A second Start on a
// locked dir fails at once with an error wrapping ErrDataDirInUse, having
// written nothing. The system drops the lock when the process ends, however
// it ends, so a start after a crash finds the dir free.
//
// # Logging
//
// kfake's log goes to Config.Logger, its levels mapped to slog's: errors and
// warnings as such, its per-request info messages at debug level.
//
// # Concurrency and errors
//
// Start blocks until the broker accepts connections, and fails with an error
// wrapping ErrAddr for an unusable address (before anything starts), with
// one wrapping ErrDataDirInUse for a data dir another broker holds, or with
// kfake's error (a port in use, a data dir it cannot load). A Broker's
// methods may be called from any goroutine. Close blocks until the listener
// is closed and, with a data dir, the state is written; it is idempotent and
// returns the first call's result to every later call.
package embedded
