// Package testenv provides the Kafka that integration tests run against: the
// cluster named by CHATSTATE_TEST_BROKERS, or else an embedded broker started
// in-process on a free loopback port, and unique topic names per test.
package testenv

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatstate/chatstate/embedded"
	"github.com/chatstate/chatstate/kafka"
)

var seq atomic.Int64

// Kafka returns a configuration with unique names for this test, against the
// brokers of CHATSTATE_TEST_BROKERS or a fresh embedded broker that is closed
// when the test ends. The topics exist when it returns.
func Kafka(t testing.TB, partitions int) kafka.Config {
	t.Helper()
	var brokers []string
	if env := os.Getenv("CHATSTATE_TEST_BROKERS"); env != "" {
		brokers = strings.Split(env, ",")
	} else {
		b, err := embedded.Start(embedded.Config{})
		if err != nil {
			t.Fatalf("start embedded broker: %v", err)
		}
		t.Cleanup(func() {
			if err := b.Close(); err != nil {
				t.Errorf("close embedded broker: %v", err)
			}
		})
		brokers = []string{b.Addr()}
	}
	return configFor(t, brokers, partitions)
}

// configFor returns a configuration of unique names on brokers, with its
// topics created.
func configFor(t testing.TB, brokers []string, partitions int) kafka.Config {
	t.Helper()
	prefix := fmt.Sprintf("t%d-%d", time.Now().UnixNano()%1e9, seq.Add(1))
	cfg, err := kafka.Config{Brokers: brokers, Names: kafka.NewNames(prefix), Partitions: partitions}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if err := kafka.EnsureTopics(cfg); err != nil {
		t.Fatalf("ensure topics: %v", err)
	}
	return cfg
}

// WaitFor polls cond until it returns nil or the timeout passes, then fails
// the test with cond's last error.
func WaitFor(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
