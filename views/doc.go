// Package views gives typed, read-only access to chatstate's group tables
// through goka views: get one row, iterate rows by key prefix, readiness, and
// change notification.
//
// # Lifecycle
//
// A Table is built with NewRooms, NewUsers or NewServers and run once with
// Run(ctx), which blocks until ctx is done; a second call returns
// ErrRunTwice. Reads fail with ErrNotReady until the view
// has recovered every partition (WaitReady). A view keeps its copy of the
// table under its own state directory, so that a restart recovers from the
// local copy and only reads what it missed.
package views
