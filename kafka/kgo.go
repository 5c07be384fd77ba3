package kafka

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Kgo returns the options of a franz-go (kgo) client for one producer on the
// delivery path, the server's: sarama's producer keeps one request in flight
// per broker when idempotent, so every write waits behind the round trip of
// the one before it, where kgo's idempotent producer keeps up to five in
// flight per broker without giving up the order of a partition. The options:
//   - producer: acks=all, idempotent (kgo's default: no duplicates and no
//     reordering within a partition across retries), no lingering, no
//     compression, the partition of Partition (FNV-1a, as goka and the
//     sarama producers choose), a produce request timeout of 10 s as
//     sarama's;
//   - no topic is created by producing;
//   - TLS and SASL as c.Security says.
//
// c must have been through WithDefaults. Every call returns a fresh slice;
// more options may be appended.
func (c Config) Kgo(clientID string) []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID(c.ClientID + "-" + clientID),
		kgo.DialTimeout(5 * time.Second),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProduceRequestTimeout(10 * time.Second),
		kgo.RecordPartitioner(kgo.BasicConsistentPartitioner(func(string) func(*kgo.Record, int) int {
			return func(r *kgo.Record, n int) int { return int(Partition(string(r.Key), n)) }
		})),
	}
	return append(opts, c.Security.kgo()...)
}

// kgo returns the options of TLS and SASL, as apply does for sarama; an
// unresolved s is resolved here and, if that fails, left to fail at
// connect (WithDefaults reports the reason).
func (s Security) kgo() []kgo.Opt {
	if r, err := s.resolve(); err == nil {
		s = r
	}
	var opts []kgo.Opt
	if s.tls != nil {
		opts = append(opts, kgo.DialTLSConfig(s.tls.Clone()))
	}
	user, password := s.SASLUser, s.SASLPassword
	switch s.SASLMechanism {
	case SASLPlain:
		opts = append(opts, kgo.SASL(plain.Plain(func(context.Context) (plain.Auth, error) {
			return plain.Auth{User: user, Pass: password}, nil
		})))
	case SASLScramSHA256:
		opts = append(opts, kgo.SASL(scram.Sha256(func(context.Context) (scram.Auth, error) {
			return scram.Auth{User: user, Pass: password}, nil
		})))
	case SASLScramSHA512:
		opts = append(opts, kgo.SASL(scram.Sha512(func(context.Context) (scram.Auth, error) {
			return scram.Auth{User: user, Pass: password}, nil
		})))
	}
	return opts
}
