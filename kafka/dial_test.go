package kafka_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/chatstate/chatstate/kafka"
)

// TestSaramaDialIsBounded: sarama calls Config.Dial through its proxy
// dialer, without a context; a dial that never answers still ends within
// sarama's DialTimeout, with the context's error, as sarama's own dials do.
func TestSaramaDialIsBounded(t *testing.T) {
	t.Parallel()
	errUnbounded := errors.New("no deadline came within 30 s")
	cfg := kafka.Config{Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		select { // a broker that never answers
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(30 * time.Second):
			return nil, errUnbounded
		}
	}}
	s := cfg.Sarama("test")
	if !s.Net.Proxy.Enable || s.Net.Proxy.Dialer == nil {
		t.Fatal("Config.Dial is not sarama's dialer")
	}
	start := time.Now()
	_, err := s.Net.Proxy.Dialer.Dial("tcp", "broker:9092")
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dial: %v, want the deadline's error", err)
	}
	// A timer never fires early; the upper slack is for a loaded machine.
	if took < s.Net.DialTimeout || took > s.Net.DialTimeout+20*time.Second {
		t.Fatalf("dial ended after %v, want about DialTimeout (%v)", took, s.Net.DialTimeout)
	}
}
