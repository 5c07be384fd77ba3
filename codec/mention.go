package codec

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// CheckEmoji returns nil if s is a valid reaction: 1 to MaxEmojiBytes bytes
// of UTF-8 without white space or control characters. Anything else is an
// error wrapping ErrInvalid.
func CheckEmoji(s string) error {
	if s == "" {
		return fmt.Errorf("%w: emoji is missing", ErrInvalid)
	}
	if len(s) > MaxEmojiBytes {
		return fmt.Errorf("%w: emoji is %d bytes, at most %d", ErrInvalid, len(s), MaxEmojiBytes)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: emoji is not valid UTF-8", ErrInvalid)
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("%w: emoji may not hold white space or control characters", ErrInvalid)
		}
	}
	return nil
}

// isNameByte reports whether c may follow the first byte of a name.
func isNameByte(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '-' }

// Mentions calls fn with every name that text mentions: "@NAME" where NAME
// is a valid user name bounded by a byte that cannot be part of a name, or
// by the end of the text. So "@bob, hi" mentions bob, "@bob.smith" mentions
// bob.smith and not bob, and "@bob." mentions bob. (the name with its
// dot) and so not bob: the protocol bounds the name by a non-name character.
// A name mentioned twice is reported twice; fn must tell repeats apart if it
// cares. It allocates nothing.
func Mentions(text string, fn func(name string)) {
	for i := 0; i < len(text); i++ {
		if text[i] != '@' {
			continue
		}
		j := i + 1
		for j < len(text) && isNameByte(text[j]) {
			j++
		}
		if name := text[i+1 : j]; ValidName(name) {
			fn(name)
		}
		i = j - 1
	}
}

// Mentioned reports whether text mentions user (see Mentions).
func Mentioned(text, user string) bool {
	found := false
	Mentions(text, func(name string) { found = found || name == user })
	return found
}
