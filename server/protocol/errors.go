package protocol

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes of the contract, sent in error frames and HTTP error bodies.
// The OpenAPI document's ErrorCode enum lists the same values.
const (
	CodeBadRequest   = "bad_request"
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	CodeNotMember    = "not_member"
	CodeTooLarge     = "too_large"
	CodeRateLimited  = "rate_limited"
	CodeUnavailable  = "unavailable"
	CodeInternal     = "internal"
	CodeNotFound     = "not_found"
)

// WebSocket close codes beyond RFC 6455's, in the range 4000-4999 that it
// leaves to applications.
const (
	// CloseSlowClient closes a connection whose queue overflowed.
	CloseSlowClient = 4008
	// CloseMissedEvents closes a connection joined to a room whose events
	// retention deleted before the server could forward them: the client
	// reconnects and resumes, and the resume's snapshot says truncated.
	CloseMissedEvents = 4009
)

// Error is an error with a contract code, for clients: what an error frame
// and an HTTP error body carry.
type Error struct {
	Code    string // one of the Code constants
	Message string // for people; not part of the contract
}

// Error returns the code and the message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an Error of code with a message formatted as fmt.Sprintf
// does.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// AsError returns the *Error in err's chain, or a CodeInternal Error with
// err's message. err must not be nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: err.Error()}
}

// HTTPStatus returns the HTTP status of a code; an unknown code is 500.
func HTTPStatus(code string) int {
	switch code {
	case CodeBadRequest:
		return http.StatusBadRequest
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeForbidden, CodeNotMember:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
