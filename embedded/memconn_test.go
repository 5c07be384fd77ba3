package embedded

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/nettest"
)

// TestMemConnIsANetConn runs the net.Conn conformance tests of x/net's
// nettest over an in-memory pair: basic and concurrent I/O, deadlines past,
// present and future, and Close unblocking every call.
func TestMemConnIsANetConn(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		a, b := memPair("broker:9092")
		return a, b, func() { a.Close(); b.Close() }, nil
	})
}

// TestMemConnClose: the other end reads what was written before the
// close, then io.EOF, and its writes fail; the closed end fails every call
// with net.ErrClosed.
func TestMemConnClose(t *testing.T) {
	a, b := memPair("broker:9092")
	if _, err := a.Write([]byte("last words")); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(b)
	if err != nil || string(got) != "last words" {
		t.Fatalf("read after close = %q, %v; want \"last words\", nil", got, err)
	}
	if _, err := b.Write([]byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("write to a closed end = %v, want EPIPE", err)
	}
	if _, err := a.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read of the closed end = %v, want net.ErrClosed", err)
	}
	if err := a.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second close = %v, want net.ErrClosed", err)
	}
}

// TestMemConnBoundsWhatIsUnread: a writer whose reader does not read stops
// at pipeLimit unread bytes and waits, within its deadline; what it wrote
// arrives whole and in order once read.
func TestMemConnBoundsWhatIsUnread(t *testing.T) {
	a, b := memPair("broker:9092")
	defer a.Close()
	defer b.Close()
	msg := bytes.Repeat([]byte("0123456789abcdef"), pipeLimit/16*2) // twice the limit
	if err := a.SetWriteDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	n, err := a.Write(msg)
	if !errors.Is(err, os.ErrDeadlineExceeded) || n != pipeLimit {
		t.Fatalf("write past the limit = %d, %v; want %d, deadline exceeded", n, err, pipeLimit)
	}
	if err := a.SetWriteDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := a.Write(msg[n:])
		done <- err
	}()
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(b, got); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("read bytes differ from those written")
	}
}

// TestMemConnConcurrentWriters: writers that wait at a full buffer all go
// on as the reader drains it, one after the other: the bytes of each write
// come whole, never split by another's.
func TestMemConnConcurrentWriters(t *testing.T) {
	a, b := memPair("broker:9092")
	defer a.Close()
	defer b.Close()
	const writers, size = 3, pipeLimit * 3 / 2 // each write waits for the reader midway
	done := make(chan error, writers)
	for w := range writers {
		go func() {
			_, err := a.Write(bytes.Repeat([]byte{byte('a' + w)}, size))
			done <- err
		}()
	}
	got := make([]byte, writers*size)
	if err := b.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(b, got); err != nil {
		t.Fatalf("read %v: the writers did not all go on", err)
	}
	for range writers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[byte]bool{}
	for i := 0; i < len(got); i += size {
		w := got[i]
		if seen[w] || !bytes.Equal(got[i:i+size], bytes.Repeat([]byte{w}, size)) {
			t.Fatalf("bytes %d to %d are not one whole write of a writer not seen before", i, i+size)
		}
		seen[w] = true
	}
}

// TestMemConnNeverDrainedStaysBounded: a pipe whose reader always leaves
// some bytes unread keeps an array the size of what is unread, not of
// everything written through it.
func TestMemConnNeverDrainedStaysBounded(t *testing.T) {
	a, b := memPair("broker:9092")
	defer a.Close()
	defer b.Close()
	chunk := bytes.Repeat([]byte("x"), 100)
	if _, err := a.Write(chunk); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(chunk))
	for range 20000 { // 2 MB through a pipe that always holds 100 bytes
		if _, err := a.Write(chunk); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(b, got); err != nil {
			t.Fatal(err)
		}
	}
	p := a.w
	p.mu.Lock()
	defer p.mu.Unlock()
	if unread, c := len(p.buf)-p.off, cap(p.buf); unread != 100 || c > 4<<10 {
		t.Fatalf("unread %d bytes in an array of %d, want 100 in at most 4 KiB", unread, c)
	}
}
