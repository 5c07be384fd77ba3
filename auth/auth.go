package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/golang-jwt/jwt/v5"
)

// ErrToken is wrapped by every verification error.
var ErrToken = errors.New("auth: token refused")

// Mint returns a token for user that expires after ttl, signed with secret
// (HS256). It fails for an empty secret, an invalid user name or a ttl that
// is not positive.
func Mint(secret, user string, ttl time.Duration) (string, error) {
	if secret == "" {
		return "", errors.New("auth: empty secret")
	}
	if err := codec.CheckName("user", user); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", errors.New("auth: ttl must be positive")
	}
	now := time.Now()
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject:   user,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	})
	return t.SignedString([]byte(secret))
}

// Verify checks token against secret and returns the user it names. It
// refuses any algorithm but HS256, a missing or past expiry, a date that
// is not a JSON number, and a subject that is not a valid user name; the error wraps ErrToken and never contains
// the token.
func Verify(secret, token string) (string, error) {
	if token == "" {
		return "", fmt.Errorf("%w: no token", ErrToken)
	}
	// MapClaims rather than RegisteredClaims: the latter's dates take a
	// number written as a string ("exp": "1700000000"), which RFC 7519's
	// NumericDate is not; MapClaims refuses a date of any type but a
	// number, and a subject of any type but a string.
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(5*time.Second))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrToken, err)
	}
	sub, err := claims.GetSubject()
	if err != nil || !codec.ValidName(sub) {
		return "", fmt.Errorf("%w: sub is not a valid user name", ErrToken)
	}
	return sub, nil
}
