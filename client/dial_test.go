package client_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/chatstate/chatstate/client"
)

// TestDialEndsWithItsContext: against a server that accepts the connection,
// reads the upgrade request and never answers it, Dial returns the
// context's error as soon as the context is cancelled, not after the 10 s
// handshake timeout.
func TestDialEndsWithItsContext(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		// The request is written: the client waits for the answer.
		if _, err := c.Read(make([]byte, 1)); err != nil {
			return
		}
		cancelled <- time.Now()
		cancel()
		// Silent until the client closes.
		for err == nil {
			_, err = c.Read(make([]byte, 4096))
		}
	}()
	_, err = client.Dial(ctx, client.Options{URL: "http://" + l.Addr().String(), User: "ann"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial: %v, want the context's error", err)
	}
	select {
	case at := <-cancelled:
		// The handshake timeout is 10 s; the slack is for a loaded machine.
		if took := time.Since(at); took > 5*time.Second {
			t.Fatalf("Dial returned %v after the cancel", took)
		}
	default:
		t.Fatal("Dial returned before the server read its request")
	}
}
