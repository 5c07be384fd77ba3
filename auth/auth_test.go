package auth

import (
	"errors"
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
	for _, tc := range []struct{ name, secret, token string }{
		{"empty", "s3cret", ""},
		{"garbage", "s3cret", "a.b.c"},
		{"forged", "other", tok},
		{"alg none", "s3cret", noneTok},
		{"no exp", "s3cret", noExp},
		{"expired", "s3cret", expired},
		{"bad sub", "s3cret", badSub},
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
