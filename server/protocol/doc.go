// Package protocol is the WebSocket protocol of chatstate, without I/O: the
// decoding and checking of client frames, the server frames and their
// encoding, the error codes and the Error type that error frames and HTTP
// error bodies carry, and the application close codes.
//
// # Concurrency
//
// Everything here is a pure function or a plain value: safe for concurrent
// use. A frame's encoding (MustJSON, EncodeEvent) is a new slice that the
// caller may share among connections but must not modify.
package protocol
