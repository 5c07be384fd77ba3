package kafka

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
)

// ErrPartitions is wrapped by the error of a topic that exists with another
// partition count than configured.
var ErrPartitions = errors.New("kafka: topic has the wrong partition count")

// TypingRetention is how long the typing topic keeps its notices.
const TypingRetention = time.Minute

// topicSpec is one topic chatstate needs.
type topicSpec struct {
	name    string
	configs map[string]string
}

// topicSpecs are the topics of c at replication factor repl: the streams
// delete after the retention, the tables are compacted (goka recovers a
// table by reading its topic from the start). With three or more replicas a
// write acknowledged by acks=all is on at least two brokers.
func (c Config) topicSpecs(repl int) []topicSpec {
	retention := strconv.FormatInt(c.Retention.Milliseconds(), 10)
	deleteAfter := map[string]string{"cleanup.policy": "delete", "retention.ms": retention}
	compact := map[string]string{"cleanup.policy": "compact"}
	if repl >= 3 {
		deleteAfter["min.insync.replicas"] = "2"
		compact["min.insync.replicas"] = "2"
	}
	n := c.Names
	return []topicSpec{
		{string(n.Events), deleteAfter},
		{string(n.Presence), deleteAfter},
		{string(n.DeadLetter), deleteAfter},
		{string(n.Heartbeats), map[string]string{"cleanup.policy": "delete", "retention.ms": strconv.FormatInt(time.Hour.Milliseconds(), 10)}},
		{string(n.ServersLoop()), deleteAfter},
		// Typing notices matter for seconds: each server reads them from
		// its end, and a minute keeps the topic small.
		{string(n.Typing), map[string]string{"cleanup.policy": "delete", "retention.ms": strconv.FormatInt(TypingRetention.Milliseconds(), 10)}},
		{string(n.RoomsTable()), compact},
		{string(n.UsersTable()), compact},
		{string(n.ServersTable()), compact},
	}
}

// EnsureTopics creates every topic of the deployment that does not exist yet,
// with c.Partitions partitions, and checks the partition count of those that
// do. It returns once every broker it knows serves metadata of every topic
// with a leader for each partition: a real cluster spreads a new topic to its
// brokers asynchronously, and goka refuses a topic the broker it asks does not
// know yet. It is idempotent and safe to run from several processes at once.
// Unreachable brokers fail it within seconds, never a hang.
func EnsureTopics(c Config) error {
	return EnsureTopicsContext(context.Background(), c)
}

// EnsureTopicsContext is EnsureTopics whose wait for new topics to spread
// ends, with ctx's cause, once ctx is done. (The requests themselves take
// no context: see Config.WithContext for ending those.)
func EnsureTopicsContext(ctx context.Context, c Config) error {
	c, err := c.WithDefaults()
	if err != nil {
		return err
	}
	client, err := connect(c)
	if err != nil {
		return err
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		_ = client.Close()
		return c.connectError(err)
	}
	defer admin.Close() // closes client too
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
	var names []string
	for _, t := range c.topicSpecs(repl) {
		names = append(names, t.name)
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
		// A timed-out creation goes on in the controller: waitTopics sees it.
		if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) && !errors.Is(err, sarama.ErrRequestTimedOut) {
			return fmt.Errorf("kafka: create topic %s (replication %d): %w", t.name, repl, err)
		}
	}
	return waitTopics(ctx, client, names, c.Partitions, topicWait)
}

// Ping connects to the brokers as c says and asks them for metadata: a
// check that the brokers are reachable and take the credentials, bounded in
// time like EnsureTopics. The error names how it connected.
func Ping(c Config) error {
	c, err := c.WithDefaults()
	if err != nil {
		return err
	}
	client, err := connect(c)
	if err != nil {
		return err
	}
	return client.Close()
}

// connect returns a client for administrative requests. Those never wait
// long on the broker's side (CreateTopics waits at most Admin.Timeout, 3 s):
// a short read timeout and no retry bound the time a silent broker can hold
// a start to about 12 s.
func connect(c Config) (sarama.Client, error) {
	sc := c.Sarama("admin")
	sc.Net.ReadTimeout = 4 * time.Second
	sc.Metadata.Retry.Max = 0
	client, err := sarama.NewClient(c.Brokers, sc)
	if err != nil {
		return nil, c.connectError(err)
	}
	return client, nil
}

// topicWait bounds how long EnsureTopics waits for new topics to spread.
const topicWait = 30 * time.Second

// waitTopics waits until every broker of client answers metadata of every
// topic with partitions partitions, each with a leader, or ctx is done.
func waitTopics(ctx context.Context, client sarama.Client, topics []string, partitions int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		missing := ""
		for _, b := range client.Brokers() {
			if ok, _ := b.Connected(); !ok {
				_ = b.Open(client.Config())
			}
			resp, err := b.GetMetadata(sarama.NewMetadataRequest(client.Config().Version, topics))
			if err != nil {
				missing = fmt.Sprintf("broker %s: %v", b.Addr(), err)
				break
			}
			if missing = topicsMissing(resp, topics, partitions); missing != "" {
				missing = fmt.Sprintf("broker %s: %s", b.Addr(), missing)
				break
			}
		}
		if missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kafka: topics not ready within %v: %s", timeout, missing)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka: waiting for topics: %w (%s)", context.Cause(ctx), missing)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// topicsMissing says what of topics resp lacks, or "" if nothing.
func topicsMissing(resp *sarama.MetadataResponse, topics []string, partitions int) string {
	seen := map[string]*sarama.TopicMetadata{}
	for _, t := range resp.Topics {
		seen[t.Name] = t
	}
	for _, name := range topics {
		t := seen[name]
		if t == nil || !errors.Is(t.Err, sarama.ErrNoError) {
			return "topic " + name + " unknown"
		}
		if len(t.Partitions) != partitions {
			return fmt.Sprintf("topic %s has %d of %d partitions", name, len(t.Partitions), partitions)
		}
		for _, p := range t.Partitions {
			if !errors.Is(p.Err, sarama.ErrNoError) || p.Leader < 0 {
				return fmt.Sprintf("topic %s partition %d has no leader", name, p.ID)
			}
		}
	}
	return ""
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

// TopicManagerBuilder returns a goka topic manager builder for processors
// and views of cfg that checks topics but never creates them: EnsureTopics
// creates them, with the settings goka's topic manager would not give them.
// Each manager it builds has a sarama config of its own.
func TopicManagerBuilder(cfg Config) goka.TopicManagerBuilder {
	return func(brokers []string) (goka.TopicManager, error) {
		tmc := goka.NewTopicManagerConfig()
		tmc.NoCreate = true
		tmc.Table.Replication = max(cfg.Replication, 1)
		tmc.Stream.Replication = max(cfg.Replication, 1)
		return goka.NewTopicManager(brokers, cfg.Sarama("topics"), tmc)
	}
}
