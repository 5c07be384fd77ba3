// Package httpapi is the server's HTTP API: health and readiness, the
// rooms and users read from the views, a room's events read from the log,
// a room as of a cursor (folded with the processors' fold), posting a
// message, and the OpenAPI document (package api) that describes them all.
// The handlers reach the server only through Config: its views, its log
// reader, its write and its readiness.
//
// # Concurrency
//
// The handlers are safe for concurrent use; each request runs on its own
// net/http goroutine. They hold no lock of the server's: a room brought
// forward (Config.Room) and a write (Config.Write) are the server's to
// synchronize.
package httpapi
