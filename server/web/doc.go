// Package web holds the web pages the server ships, embedded in the binary:
// the chat page (index.html), the read-only operator page (ops.html) and
// their scripts and styles (static/), with the HTTP handlers that serve
// them. The pages talk to the server over /ws and the HTTP API only.
//
// # Concurrency
//
// The handlers read embedded, immutable files: safe for concurrent use.
package web
