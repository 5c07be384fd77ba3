package kafka_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/kafka"
)

// TestWithContextEndsSaramaCalls: a sarama client set-up waiting on a
// broker that accepts connections, reads the requests and never answers
// returns within seconds of its Config's context ending, where sarama
// alone would wait 30 s per request, retried; and no connection is made
// after, the dial failing with the context's cause.
func TestWithContextEndsSaramaCalls(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	asked := make(chan struct{}, 1)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return // the client closed
					}
					select {
					case asked <- struct{}{}:
					default:
					}
				}
			}()
		}
	}()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	cfg, err := kafka.Config{Brokers: []string{l.Addr().String()}}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.WithContext(ctx)
	done := make(chan error, 1)
	go func() {
		client, err := sarama.NewClient(cfg.Brokers, cfg.Sarama("test"))
		if err == nil {
			_ = client.Close()
		}
		done <- err
	}()
	select {
	case <-asked:
	case err := <-done:
		t.Fatalf("NewClient returned before asking: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no request within 30 s")
	}
	stopped := errors.New("stopped by the test")
	cancel(stopped)
	cancelled := time.Now()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("NewClient succeeded against a broker that never answers")
		}
		t.Logf("NewClient returned %v after the cancel: %v", time.Since(cancelled).Round(time.Millisecond), err)
	case <-time.After(10 * time.Second):
		t.Fatal("NewClient still waiting 10 s after the context ended")
	}
	if _, err := cfg.Dial(context.Background(), "tcp", l.Addr().String()); !errors.Is(err, stopped) {
		t.Fatalf("dial after the context ended: %v, want its cause", err)
	}
}
