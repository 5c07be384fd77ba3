// Package api is the HTTP API's contract: the OpenAPI 3 document, embedded
// as OpenAPI, and the JSON forms of rooms and users that the server's
// handlers answer and the command line prints.
//
// # Concurrency
//
// Everything here is a plain value or a pure function: safe for concurrent
// use. OpenAPI must not be modified.
package api
