package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// recordingConn is a net.Conn that records what is written to it and the
// write deadline each write had: what reaches the peer, and when.
type recordingConn struct {
	net.Conn // nil: only the methods below may be called

	mu       sync.Mutex
	deadline time.Time
	sets     int // the calls of SetWriteDeadline
	writes   [][]byte
	under    []time.Time // the deadline of each write
}

func (r *recordingConn) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, bytes.Clone(p))
	r.under = append(r.under, r.deadline)
	return len(p), nil
}

func (r *recordingConn) SetWriteDeadline(t time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deadline = t
	r.sets++
	return nil
}

func (r *recordingConn) written() (writes [][]byte, deadlines []time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.writes...), append([]time.Time(nil), r.under...)
}

func frameBytes(op byte, payloads ...string) []byte {
	var b []byte
	for _, p := range payloads {
		b = appendFrame(b, op, []byte(p))
	}
	return b
}

func TestBufConnBatchReachesThePeerOnlyAtFlush(t *testing.T) {
	rec := &recordingConn{}
	b := &bufConn{Conn: rec}
	pong := frameBytes(0xA, "")

	b.bufferFrames(opText, [][]byte{[]byte("one"), []byte("two")})
	// A control frame written from another goroutine inside the batch goes
	// out with it, after the frames buffered before it.
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := b.Write(pong); err != nil {
			t.Error(err)
		}
	}()
	<-done
	b.bufferFrames(opText, [][]byte{[]byte("three")})
	if w, _ := rec.written(); len(w) != 0 {
		t.Fatalf("%d writes reached the peer inside the batch", len(w))
	}

	before := time.Now()
	if err := b.flush(time.Hour); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	w, under := rec.written()
	want := append(append(frameBytes(opText, "one", "two"), pong...), frameBytes(opText, "three")...)
	if len(w) != 1 || !bytes.Equal(w[0], want) {
		t.Fatalf("the flush wrote %q, want one write of %q", w, want)
	}
	// An hour to an hour and a half from the flush.
	if under[0].Before(before.Add(time.Hour)) || under[0].After(after.Add(90*time.Minute)) {
		t.Fatalf("the flush at %v wrote under the deadline %v, want an hour to an hour and a half on", before, under[0])
	}
	// Nothing is left for a second flush.
	if err := b.flush(time.Hour); err != nil {
		t.Fatal(err)
	}
	if w, _ := rec.written(); len(w) != 1 {
		t.Fatalf("an empty flush wrote: %q", w[1:])
	}
}

func TestBufConnWritesOutsideABatchGoThroughAtOnce(t *testing.T) {
	rec := &recordingConn{}
	b := &bufConn{Conn: rec}
	ping := frameBytes(opPing, "")

	mine := time.Now().Add(time.Minute)
	if err := b.SetWriteDeadline(mine); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write(ping); err != nil {
		t.Fatal(err)
	}
	if w, _ := rec.written(); len(w) != 1 || !bytes.Equal(w[0], ping) {
		t.Fatalf("the peer got %q, want %q at once", w, ping)
	}

	// A flush writes under its own deadline; the next write outside a batch
	// is back under the one its caller set.
	b.bufferFrames(opText, [][]byte{[]byte("x")})
	if err := b.flush(time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write(ping); err != nil {
		t.Fatal(err)
	}
	// A deadline set inside a batch holds for the writes after it.
	b.bufferFrames(opText, [][]byte{[]byte("y")})
	inside := time.Now().Add(2 * time.Minute)
	if err := b.SetWriteDeadline(inside); err != nil {
		t.Fatal(err)
	}
	if err := b.flush(time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write(ping); err != nil {
		t.Fatal(err)
	}
	w, under := rec.written()
	if len(w) != 5 {
		t.Fatalf("%d writes, want 5: %q", len(w), w)
	}
	for i, want := range []time.Time{mine, {}, mine, {}, inside} {
		if want.IsZero() { // a flush's
			if d := time.Until(under[i]); d < 59*time.Minute || d > 90*time.Minute {
				t.Errorf("flush %d under a deadline %v on, want an hour to an hour and a half", i, d)
			}
		} else if !under[i].Equal(want) {
			t.Errorf("write %d under the deadline %v, want %v", i, under[i], want)
		}
	}
}

// TestBufConnFlushesShareADeadline: batches flushed within half a timeout
// of each other write under the deadline the first set, which is moved
// once less than a timeout of it is left.
func TestBufConnFlushesShareADeadline(t *testing.T) {
	rec := &recordingConn{}
	b := &bufConn{Conn: rec}
	for i := range 3 {
		b.bufferFrames(opText, [][]byte{fmt.Appendf(nil, "%d", i)})
		if err := b.flush(time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	w, under := rec.written()
	if len(w) != 3 || rec.sets != 1 || !under[1].Equal(under[0]) || !under[2].Equal(under[0]) {
		t.Fatalf("%d writes under %v after %d deadlines set, want 3 under one", len(w), under, rec.sets)
	}
	// Less than a timeout left: the next flush moves it.
	b.bufferFrames(opText, [][]byte{[]byte("3")})
	if err := b.flush(2 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, under := rec.written(); rec.sets != 2 || time.Until(under[3]) < 2*time.Hour {
		t.Fatalf("after a flush of a longer timeout the deadline is %v on, want 2 hours at least", time.Until(under[3]))
	}
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.FailNow()
	}
	t.Cleanup(func() { _ = server.Close(); _ = client.Close() })
	return server, client
}

// readFrame reads one unmasked frame as a server writes it.
func readFrame(r io.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	if h[0]&0xF0 != 0x80 || h[1]&0x80 != 0 {
		return 0, nil, fmt.Errorf("bad frame header % x", h)
	}
	n := uint64(h[1])
	switch n {
	case 126:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(l[:])
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(r, payload)
	return h[0] & 0x0F, payload, err
}

// TestBufConnConcurrentControlWrites has one goroutine write batches while
// others write control frames and move the write deadline, as the reads
// do when they answer a ping: every frame arrives whole, the batches' frames in
// order. Run it with -race.
func TestBufConnConcurrentControlWrites(t *testing.T) {
	srv, cli := tcpPair(t)
	b := &bufConn{Conn: srv}
	const batches, perBatch, writers, controls = 200, 5, 3, 100

	got := make(chan error, 1)
	go func() {
		next, pongs := 0, 0
		for next < batches*perBatch || pongs < writers*controls {
			_ = cli.SetReadDeadline(time.Now().Add(time.Minute)) // against a hang only
			op, p, err := readFrame(cli)
			if err != nil {
				got <- fmt.Errorf("after %d frames and %d pongs: %w", next, pongs, err)
				return
			}
			switch {
			case op == 0xA && string(p) == "pong":
				pongs++
			case op == opText && string(p) == fmt.Sprintf("frame %d", next):
				next++
			default:
				got <- fmt.Errorf("frame %d: op %d %q out of place", next, op, p)
				return
			}
		}
		got <- nil
	}()

	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pong := frameBytes(0xA, "pong")
			for range controls {
				if err := b.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
					t.Error(err)
					return
				}
				if _, err := b.Write(pong); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := range batches {
		payloads := make([][]byte, perBatch)
		for k := range payloads {
			payloads[k] = fmt.Appendf(nil, "frame %d", i*perBatch+k)
		}
		b.bufferFrames(opText, payloads)
		if err := b.flush(time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

// TestBufConnFlushHonoursTheDeadline: a peer that does not read fails the
// flush once its deadline passes, as a stuck client must.
func TestBufConnFlushHonoursTheDeadline(t *testing.T) {
	srv, cli := tcpPair(t)
	_ = cli.(*net.TCPConn).SetReadBuffer(4096)
	_ = srv.(*net.TCPConn).SetWriteBuffer(4096)
	b := &bufConn{Conn: srv}
	big := bytes.Repeat([]byte("x"), 1<<20)
	b.bufferFrames(opText, [][]byte{big, big, big, big, big, big, big, big})
	start := time.Now()
	err := b.flush(100 * time.Millisecond)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("flush to a peer that does not read: %v, want the deadline exceeded", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("the flush gave up after %v, before its timeout", d)
	}
}
