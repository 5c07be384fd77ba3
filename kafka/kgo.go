package kafka

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Producer returns the options of a franz-go (kgo) client that writes as the
// server's writes promise: acks=all; idempotent, so that kgo's own retries
// neither duplicate nor reorder a partition's records; sent at once, no
// linger, no compression (records are small and latency is the point);
// records keyed as goka's partitioner keys them (Partition); TLS and SASL as
// c.Security says.
//
// A write is bounded by its context: a record whose context ends is failed,
// even in flight (kgo's AllowIdempotentProduceCancellation), as a sarama
// write fails after its retries. Kafka may still have taken such a record;
// the caller answers it unavailable and never acknowledges it. Without that
// option kgo keeps a record in flight across an outage until the broker is
// back, so a write the caller retried would be written once per try.
//
// Why kgo rather than sarama for these writes: sarama's idempotent producer
// keeps one produce request in flight per broker, so every write waits
// behind the round trip of the one before; kgo keeps five, a quarter of
// sarama's p99 on Apache Kafka (BenchmarkProduceLatency). The metadata
// settings let a write find a broker that came back within a second.
func (c Config) Producer(clientID string) []kgo.Opt {
	return append(c.kgoClient(clientID),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.AllowIdempotentProduceCancellation(),
		kgo.ProduceRequestTimeout(10*time.Second),
		kgo.RecordPartitioner(kgo.BasicConsistentPartitioner(func(string) func(*kgo.Record, int) int {
			return func(r *kgo.Record, n int) int { return int(Partition(string(r.Key), n)) }
		})),
	)
}

// kgoClient returns the options every kgo client of a deployment shares:
// the brokers, the client id, how metadata is refreshed and retries back
// off, TLS and SASL as c.Security says, and c.Dial if set.
func (c Config) kgoClient(clientID string) []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID(c.ClientID + "-" + clientID),
		kgo.DialTimeout(5 * time.Second),
		// kgo's defaults refresh metadata at most every 5 s and back off
		// up to 2.5 s: after an outage the first write would wait for
		// them longer than a write's bound.
		kgo.MetadataMinAge(250 * time.Millisecond),
		kgo.RetryBackoffFn(func(tries int) time.Duration {
			return min(50*time.Millisecond<<min(tries, 4), 500*time.Millisecond)
		}),
	}
	s := c.Security
	if r, err := s.resolve(); err == nil {
		s = r
	}
	switch {
	case c.Dial != nil && s.tls != nil:
		// kgo refuses a Dialer together with a TLS config.
		opts = append(opts, kgo.Dialer(tlsDial(c.Dial, s.tls)))
	case c.Dial != nil:
		opts = append(opts, kgo.Dialer(c.Dial))
	case s.tls != nil:
		opts = append(opts, kgo.DialTLSConfig(s.tls.Clone()))
	}
	switch s.SASLMechanism {
	case SASLPlain:
		opts = append(opts, kgo.SASL(plain.Auth{User: s.SASLUser, Pass: s.SASLPassword}.AsMechanism()))
	case SASLScramSHA256:
		opts = append(opts, kgo.SASL(scram.Auth{User: s.SASLUser, Pass: s.SASLPassword}.AsSha256Mechanism()))
	case SASLScramSHA512:
		opts = append(opts, kgo.SASL(scram.Auth{User: s.SASLUser, Pass: s.SASLPassword}.AsSha512Mechanism()))
	}
	return opts
}
