// Package auth mints and verifies the JSON Web Tokens that identify chat
// users when the server runs with an auth secret: HS256, the user name in
// "sub", an expiry in "exp" (required).
//
// # Responsibility
//
// Only the token: auth knows nothing of sessions, rooms or roles. The server
// calls Verify on every WebSocket and HTTP request that carries a token, and
// `chatstate token` calls Mint; the secret is theirs to keep.
//
// # Concurrency and errors
//
// Mint and Verify keep no state: any number of goroutines may call them at
// once, and neither blocks on anything but the CPU. Every error of Verify
// wraps ErrToken, so that a caller refuses the request with one check, and
// no error contains the token, so that logging one leaks nothing. Mint's
// errors are for a bad secret, user name or lifetime, and never wrap
// ErrToken.
package auth
