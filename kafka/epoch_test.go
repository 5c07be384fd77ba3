package kafka_test

import (
	"os"
	"testing"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
)

func epochOf(t *testing.T, cfg kafka.Config) string {
	t.Helper()
	client := testenv.KafkaClient(t, cfg.Brokers, cfg.Sarama("epoch-test"))
	e, err := kafka.Epoch(client, cfg)
	if err != nil || e == "" {
		t.Fatalf("epoch %q: %v", e, err)
	}
	return e
}

// TestEpochNamesTheLog: the epoch stays the same while the log is the same,
// across a restart of the broker on its data, and differs for another log of
// the same name (another cluster).
func TestEpochNamesTheLog(t *testing.T) {
	if os.Getenv(testenv.KafkaDirEnv) != "" {
		t.Skip("needs two clusters; " + testenv.KafkaDirEnv + " names one")
	}
	broker, cfg := testenv.RestartableKafka(t, 2)
	before := epochOf(t, cfg)
	broker.Stop()
	broker.Start()
	if after := epochOf(t, cfg); after != before {
		t.Fatalf("epoch changed across a restart: %s, then %s", before, after)
	}
	// Another broker, the very same topic names: only the log differs.
	_, other := testenv.RestartableKafka(t, 2)
	other.Names = cfg.Names
	if err := kafka.EnsureTopics(other); err != nil {
		t.Fatal(err)
	}
	if e := epochOf(t, other); e == before {
		t.Fatalf("another log has the same epoch %s", e)
	}
}
