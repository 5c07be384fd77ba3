package codec

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxTextBytes is the largest message text, in bytes after trimming.
const MaxTextBytes = 4096

// ErrInvalid is wrapped by every validation error of this package.
var ErrInvalid = errors.New("codec: invalid")

// ErrTooLarge is wrapped by the validation error of a text over MaxTextBytes,
// so that callers can answer "too_large" rather than "bad_request".
var ErrTooLarge = errors.New("codec: too large")

// ValidName reports whether s is a valid room or user name:
// ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$.
//
// It checks the bytes by hand rather than with that regexp (which the
// tests keep, to compare): every event decoded is validated, and the two
// regexp matches were a quarter of DecodeEvent. The bytes are all ASCII, so
// bytes are runes, and invalid UTF-8 fails as it does the regexp.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 64 || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// CheckName returns nil if s is a valid name, else an error wrapping
// ErrInvalid that names the field.
func CheckName(field, s string) error {
	if s == "" {
		return fmt.Errorf("%w: %s is missing", ErrInvalid, field)
	}
	if !ValidName(s) {
		return fmt.Errorf("%w: %s %q must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", ErrInvalid, field, s)
	}
	return nil
}

// NormalizeText trims surrounding white space from a message text and checks
// it: valid UTF-8, 1 to MaxTextBytes bytes. It returns the trimmed text, or an
// error wrapping ErrInvalid (and ErrTooLarge when only the length is wrong).
func NormalizeText(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: text is not valid UTF-8", ErrInvalid)
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return "", fmt.Errorf("%w: text is empty", ErrInvalid)
	}
	if len(t) > MaxTextBytes {
		return "", fmt.Errorf("%w: %w: text is %d bytes, at most %d are allowed", ErrInvalid, ErrTooLarge, len(t), MaxTextBytes)
	}
	return t, nil
}
