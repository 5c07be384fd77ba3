package testenv

import (
	"testing"

	"github.com/IBM/sarama"
)

// Producer returns a sync producer on brokers with sc, closed when the test
// ends; it fails the test if the producer cannot be made.
func Producer(t testing.TB, brokers []string, sc *sarama.Config) sarama.SyncProducer {
	t.Helper()
	p, err := sarama.NewSyncProducer(brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// KafkaClient returns a sarama client on brokers with sc, closed when the test
// ends; it fails the test if the client cannot be made.
func KafkaClient(t testing.TB, brokers []string, sc *sarama.Config) sarama.Client {
	t.Helper()
	c, err := sarama.NewClient(brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
