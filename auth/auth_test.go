package auth

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestMintVerify(t *testing.T) {
	tok, err := Mint("s3cret", "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := Verify("s3cret", tok); err != nil || u != "alice" {
		t.Fatalf("Verify = %q, %v", u, err)
	}
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix()})
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice"}).SignedString([]byte("s3cret"))
	badSub, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "no good", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("s3cret"))
	expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(-time.Hour).Unix()}).SignedString([]byte("s3cret"))
	sign := func(c jwt.MapClaims) string {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte("s3cret"))
		return s
	}
	later := time.Now().Add(time.Hour).Unix()
	expString := sign(jwt.MapClaims{"sub": "alice", "exp": strconv.FormatInt(later, 10)})
	nbfString := sign(jwt.MapClaims{"sub": "alice", "exp": later, "nbf": "0"})
	subNumber := sign(jwt.MapClaims{"sub": 7, "exp": later})
	if u, err := Verify("s3cret", sign(jwt.MapClaims{"sub": "alice", "exp": float64(later) + 0.5})); err != nil || u != "alice" {
		t.Fatalf("a fractional exp, a NumericDate too: %q %v", u, err)
	}
	for _, tc := range []struct{ name, secret, token string }{
		{"empty", "s3cret", ""},
		{"garbage", "s3cret", "a.b.c"},
		{"forged", "other", tok},
		{"alg none", "s3cret", noneTok},
		{"no exp", "s3cret", noExp},
		{"expired", "s3cret", expired},
		{"bad sub", "s3cret", badSub},
		{"exp a string", "s3cret", expString},
		{"nbf a string", "s3cret", nbfString},
		{"sub a number", "s3cret", subNumber},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := Verify(tc.secret, tc.token)
			if !errors.Is(err, ErrToken) || u != "" {
				t.Fatalf("Verify = %q, %v; want ErrToken", u, err)
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Fatalf("error leaks the token: %v", err)
			}
		})
	}
	if _, err := Mint("", "alice", time.Hour); err == nil {
		t.Fatal("Mint with an empty secret succeeded")
	}
	if _, err := Mint("s", "bad name", time.Hour); err == nil {
		t.Fatal("Mint of a bad name succeeded")
	}
}
