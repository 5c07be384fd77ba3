// Package routines starts a component's background goroutines through one
// owner that counts them, refuses new ones once shutdown has begun, and
// waits for them all.
//
// # Why
//
// A goroutine started with a bare go statement has no owner: Run can return
// while it still reads a socket or writes to Kafka. Every goroutine of a
// long-lived component is started with Group.Go, so that the component's
// Run ends only after Group.Wait, and a test can check that nothing is left.
//
// # Concurrency
//
// All methods are safe for concurrent use. Go called after Stop does not
// start fn and reports false; the caller cleans up what fn would have.
// The zero Group is ready to use; a Group must not be copied after use.
package routines
