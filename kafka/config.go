package kafka

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"net"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/rcrowley/go-metrics"
)

// sarama records a histogram sample and meter marks for every request and
// response of every client (6% of a busy server's CPU went there) into
// registries nothing reads: chatstate exports its own metrics. This is the
// switch sarama documents for turning them off; it is process-wide.
func init() { metrics.UseNilMetrics = true }

// DefaultPartitions is the default partition count of the streams and tables.
const DefaultPartitions = 8

// DefaultRetention is the default retention of the events topic.
const DefaultRetention = 7 * 24 * time.Hour

// ErrConfig is wrapped by every configuration error of this package.
var ErrConfig = errors.New("kafka: bad configuration")

// Config says where Kafka is and how chatstate's topics are laid out.
type Config struct {
	// Brokers are the bootstrap addresses. Required.
	Brokers []string
	// Names are the topics and groups. Zero value means NewNames(DefaultPrefix).
	Names Names
	// Partitions of every stream and table. Zero value means DefaultPartitions.
	Partitions int
	// Replication of new topics. Zero value means min(3, number of brokers).
	Replication int
	// Retention of the events topic. Zero value means DefaultRetention.
	Retention time.Duration
	// ClientID prefixes the client id of every connection. Zero value means
	// "chatstate".
	ClientID string
	// Security is TLS and SASL towards the brokers. Zero value means
	// plaintext without authentication.
	Security Security
	// Dial, if set, makes every connection of every client to the brokers,
	// whatever address it names (the embedded broker's in-memory
	// connections). Zero value means TCP.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// WithDefaults returns c with its zero values filled in, or an error wrapping
// ErrConfig.
func (c Config) WithDefaults() (Config, error) {
	if len(c.Brokers) == 0 {
		return c, fmt.Errorf("%w: no brokers", ErrConfig)
	}
	if c.Names.Prefix == "" {
		c.Names = NewNames(DefaultPrefix)
	}
	if c.Partitions == 0 {
		c.Partitions = DefaultPartitions
	}
	if c.Partitions < 1 || c.Partitions > 10000 {
		return c, fmt.Errorf("%w: partitions %d out of range 1..10000", ErrConfig, c.Partitions)
	}
	if c.Replication < 0 {
		return c, fmt.Errorf("%w: negative replication", ErrConfig)
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if c.ClientID == "" {
		c.ClientID = "chatstate"
	}
	if strings.Trim(c.ClientID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
		return c, fmt.Errorf("%w: client id %q: use letters, digits, '.', '_' and '-'", ErrConfig, c.ClientID)
	}
	if c.Retention < 0 {
		return c, fmt.Errorf("%w: negative retention", ErrConfig)
	}
	sec, err := c.Security.resolve()
	if err != nil {
		return c, err
	}
	c.Security = sec
	return c, nil
}

// Sarama returns a new sarama configuration for one client. Every call
// returns a fresh copy, safe to modify:
//   - producer: acks=all, idempotent (one request in flight), no batching
//     delay, retries with backoff, FNV-1a hash partitioning as goka does;
//   - consumer: streams start at the oldest offset, errors returned;
//   - protocol version 2.8, which the embedded broker and Kafka 4 both speak;
//   - TLS and SASL as c.Security says;
//   - connections made by c.Dial, if set.
func (c Config) Sarama(clientID string) *sarama.Config {
	s := goka.DefaultConfig()
	s.ClientID = c.ClientID + "-" + clientID
	s.Version = sarama.V2_8_0_0
	s.Metadata.AllowAutoTopicCreation = false
	s.Net.MaxOpenRequests = 1
	s.Net.DialTimeout = 5 * time.Second
	s.Producer.RequiredAcks = sarama.WaitForAll
	s.Producer.Idempotent = true
	s.Producer.Compression = sarama.CompressionNone
	// All flush triggers zero: sarama sends as soon as it can. goka's 100 ms
	// default would be the dominant latency of every chat message.
	s.Producer.Flush.Frequency = 0
	s.Producer.Flush.Bytes = 0
	s.Producer.Flush.Messages = 0
	s.Producer.Retry.Max = 10
	s.Producer.Retry.Backoff = 200 * time.Millisecond
	s.Producer.Timeout = 10 * time.Second
	s.Producer.Partitioner = sarama.NewCustomHashPartitioner(goka.DefaultHasher())
	s.Consumer.Offsets.Initial = sarama.OffsetOldest
	s.Consumer.Return.Errors = true
	s.Consumer.Fetch.Default = 1 << 20
	s.Consumer.MaxWaitTime = 250 * time.Millisecond
	s.Consumer.Group.Session.Timeout = 10 * time.Second
	s.Consumer.Group.Heartbeat.Interval = time.Second
	s.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	c.Security.apply(s)
	if c.Dial != nil {
		s.Net.Proxy.Enable = true
		s.Net.Proxy.Dialer = dialer{dial: c.Dial, timeout: s.Net.DialTimeout}
	}
	return s
}

// dialer is a Config.Dial as sarama's proxy dialer, which sarama calls
// without a context: each dial is bounded by timeout (Net.DialTimeout), as
// sarama's own dialer bounds it.
type dialer struct {
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	timeout time.Duration
}

// Dial implements proxy.Dialer.
func (d dialer) Dial(network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	return d.dial(ctx, network, addr)
}

// SaramaBulk is Sarama for a reader off the delivery path (the processors
// and the views; the server's tail delivers chat messages): a fetch waits up
// to BulkWait for BulkBytes instead of returning with the first record.
// Under a steady trickle of records such a reader fetches ten times a
// second instead of once per record, which leaves the broker and the
// cores to the path chat latency depends on. It adds at most BulkWait to
// that reader's lag.
func (c Config) SaramaBulk(clientID string) *sarama.Config {
	s := c.Sarama(clientID)
	s.Consumer.Fetch.Min = BulkBytes
	s.Consumer.MaxWaitTime = BulkWait
	return s
}

// BulkBytes and BulkWait are the fetch settings of SaramaBulk. A reader
// in bulk lags by up to BulkWait; what a user waits on never does: the
// server's tail delivers every event at once, and a room's row is brought
// forward to the tail's last event before it answers a join or a GET. What
// waits is the lists: a join shows in GET /api/users after the rooms
// group, the users group and the server's view have each fetched, about
// three BulkWaits and two BulkFlushes. At 100 ms rather than 20, the
// groups' and the views' readers fetch ten times a second instead of
// fifty: at 1,000 messages/s `chatstate dev` spent 14 % less CPU per
// delivery, and on Apache Kafka the processor 38 % and the broker 14 %
// less, which took 2 to 4 ms off the server's publish p99 (BENCHMARKS.md).
//
// BulkFlush is how long the producers off the delivery path (the
// processors') gather records before they send them: fifty produce
// requests a second per producer instead of one per record. At 5 ms the
// processor and Apache Kafka spent 6 % more CPU at 1,000 messages/s, and
// `chatstate dev` 3.5 % more; at 50 ms nothing measured changed beyond the
// noise, so it stays at 20 ms, each ms of it a ms more lag for the lists.
const (
	BulkBytes = 64 << 10
	BulkWait  = 100 * time.Millisecond
	BulkFlush = 20 * time.Millisecond
)

// Partition returns the partition of key in a topic of n partitions, the same
// that goka and the producers of this package choose.
func Partition(key string, n int) int32 {
	return partition(goka.DefaultHasher()(), key, n)
}

func partition(h hash.Hash32, key string, n int) int32 {
	_, _ = h.Write([]byte(key))
	p := int32(h.Sum32()) % int32(n)
	if p < 0 {
		p = -p
	}
	return p
}
