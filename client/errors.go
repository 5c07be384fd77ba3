package client

import "errors"

// Error codes of the server, as its error frames and HTTP answers name them.
const (
	CodeBadRequest   = "bad_request"
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	CodeNotMember    = "not_member"
	CodeNotFound     = "not_found"
	CodeTooLarge     = "too_large"
	CodeRateLimited  = "rate_limited"
	CodeUnavailable  = "unavailable"
	CodeInternal     = "internal"
)

// Error is a request the server refused (an error frame, or a refused
// WebSocket handshake), or one this package refused before sending it for
// the same reason the server would (CodeTooLarge). errors.Is matches an
// *Error by Code alone, so errors.Is(err, client.ErrRateLimited) works.
type Error struct {
	Code    string // one of the Code constants, or a newer server's code
	Message string // the server's words, for people
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "client: " + e.Code
	}
	return "client: " + e.Code + ": " + e.Message
}

// Is reports whether target is an *Error of the same Code.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

// Sentinels to compare with errors.Is.
var (
	ErrBadRequest   = &Error{Code: CodeBadRequest}
	ErrUnauthorized = &Error{Code: CodeUnauthorized}
	ErrForbidden    = &Error{Code: CodeForbidden}
	ErrNotMember    = &Error{Code: CodeNotMember}
	ErrNotFound     = &Error{Code: CodeNotFound}
	ErrTooLarge     = &Error{Code: CodeTooLarge}
	ErrRateLimited  = &Error{Code: CodeRateLimited}
	ErrUnavailable  = &Error{Code: CodeUnavailable}
	ErrInternal     = &Error{Code: CodeInternal}
)

// Errors of the client itself.
var (
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("client: client closed")
	// ErrDisconnected: the connection ended after the request was written
	// and before its answer. The request may have been done: a message may
	// be written all the same, and then arrives as an event of the room.
	ErrDisconnected = errors.New("client: connection lost before the answer")
	// ErrLeft: the room is left (or being left), or its join failed.
	ErrLeft = errors.New("client: room left")
)

// retriable reports whether a refused rejoin is worth trying again rather
// than ending the room: the room alone tries again on the same connection,
// after a backoff that grows with each refusal as a reconnect's does
// (Options.BackoffMin, BackoffMax), until its snapshot comes.
func retriable(code string) bool {
	switch code {
	case CodeUnavailable, CodeInternal, CodeRateLimited:
		return true
	}
	return false
}
