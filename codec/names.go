package codec

import (
	"errors"
	"fmt"
	"regexp"
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

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidName reports whether s is a valid room or user name:
// ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$.
func ValidName(s string) bool { return nameRE.MatchString(s) }

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
