package kafka

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/IBM/sarama"
)

// ErrPartitions is wrapped by the error of a topic that exists with another
// partition count than configured.
var ErrPartitions = errors.New("kafka: topic has the wrong partition count")

// topicSpec is one topic chatstate needs.
type topicSpec struct {
	name    string
	configs map[string]string
}

func (c Config) topicSpecs() []topicSpec {
	retention := strconv.FormatInt(c.Retention.Milliseconds(), 10)
	deleteAfter := map[string]string{"cleanup.policy": "delete", "retention.ms": retention}
	compact := map[string]string{"cleanup.policy": "compact"}
	n := c.Names
	return []topicSpec{
		{string(n.Events), deleteAfter},
		{string(n.Presence), deleteAfter},
		{string(n.DeadLetter), deleteAfter},
		{string(n.RoomsTable()), compact},
		{string(n.UsersTable()), compact},
	}
}

// EnsureTopics creates every topic of the deployment that does not exist yet,
// with c.Partitions partitions, and checks the partition count of those that
// do. It is idempotent and safe to run from several processes at once.
func EnsureTopics(c Config) error {
	c, err := c.WithDefaults()
	if err != nil {
		return err
	}
	admin, err := sarama.NewClusterAdmin(c.Brokers, c.Sarama("admin"))
	if err != nil {
		return fmt.Errorf("kafka: connect to %v: %w", c.Brokers, err)
	}
	defer admin.Close()
	existing, err := admin.ListTopics()
	if err != nil {
		return fmt.Errorf("kafka: list topics: %w", err)
	}
	repl := c.Replication
	if repl == 0 {
		brokers, _, err := admin.DescribeCluster()
		if err != nil {
			return fmt.Errorf("kafka: describe cluster: %w", err)
		}
		repl = min(3, len(brokers))
	}
	for _, t := range c.topicSpecs() {
		if d, ok := existing[t.name]; ok {
			if int(d.NumPartitions) != c.Partitions {
				return fmt.Errorf("%w: %s has %d partitions, configured %d", ErrPartitions, t.name, d.NumPartitions, c.Partitions)
			}
			continue
		}
		cfg := make(map[string]*string, len(t.configs))
		for k, v := range t.configs {
			cfg[k] = &v
		}
		err := admin.CreateTopic(t.name, &sarama.TopicDetail{
			NumPartitions:     int32(c.Partitions),
			ReplicationFactor: int16(repl),
			ConfigEntries:     cfg,
		}, false)
		if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
			return fmt.Errorf("kafka: create topic %s: %w", t.name, err)
		}
	}
	return nil
}

// Epoch names the log that cursors belong to: a digest of the cluster id,
// the events topic's name, its topic id where the broker reports one, and its
// partition count. It changes whenever the log is new (another cluster, or the
// topic deleted and created again), so that a cursor of an old log is never
// honoured against a new one.
func Epoch(client sarama.Client, c Config) (string, error) {
	b, err := client.Controller()
	if err != nil {
		return "", fmt.Errorf("kafka: epoch: %w", err)
	}
	topic := string(c.Names.Events)
	resp, err := b.GetMetadata(sarama.NewMetadataRequest(client.Config().Version, []string{topic}))
	if err != nil {
		return "", fmt.Errorf("kafka: epoch: metadata: %w", err)
	}
	if len(resp.Topics) != 1 || !errors.Is(resp.Topics[0].Err, sarama.ErrNoError) {
		return "", fmt.Errorf("kafka: epoch: topic %s not found", topic)
	}
	cluster := ""
	if resp.ClusterID != nil {
		cluster = *resp.ClusterID
	}
	t := resp.Topics[0]
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%x\x00%d", cluster, topic, t.Uuid[:], len(t.Partitions)))
	return hex.EncodeToString(sum[:8]), nil
}
