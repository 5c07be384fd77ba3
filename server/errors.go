package server

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes of the contract, sent in error frames and HTTP error bodies.
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

// WebSocket close codes beyond RFC 6455's.
const (
	// CloseSlowClient closes a connection whose queue overflowed.
	CloseSlowClient = 4008
	// CloseMissedEvents closes a connection joined to a room whose events
	// retention deleted before the server could forward them: the client
	// reconnects and resumes, and the resume's snapshot says truncated.
	CloseMissedEvents = 4009
)

// Error is an error with a contract code, for clients.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// asError turns any error into an *Error, defaulting to internal.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: err.Error()}
}

// httpStatus is the HTTP status of a code.
func httpStatus(code string) int {
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
