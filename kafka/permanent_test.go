package kafka_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/kafka"
)

func TestPermanent(t *testing.T) {
	t.Parallel()
	plain := kafka.Config{Brokers: []string{"k:9092"}}
	sasl := kafka.Config{Brokers: []string{"k:9092"}, Security: kafka.Security{SASLMechanism: "PLAIN", SASLUser: "u", SASLPassword: "p"}}
	secure := kafka.Config{Brokers: []string{"k:9092"}, Security: kafka.Security{TLS: true}}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: syscall.ECONNREFUSED.Error(), Addr: "k:9092"}}
	outOf := func(err error) error {
		return fmt.Errorf("kafka: connect to [k:9092] (plaintext): %w", sarama.Wrap(sarama.ErrOutOfBrokers, err))
	}
	for _, tc := range []struct {
		name string
		cfg  kafka.Config
		err  error
		want bool
	}{
		{"nil", plain, nil, false},
		{"refused", plain, outOf(refused), false},
		{"unknown host", plain, outOf(&net.DNSError{Err: "no such host", Name: "kafka", IsNotFound: true}), false},
		{"timeout", plain, outOf(&net.OpError{Op: "read", Err: errors.New("i/o timeout")}), false},
		{"no controller yet", plain, fmt.Errorf("kafka: epoch: %w", sarama.ErrNotController), false},
		{"fewer brokers than replicas", plain, fmt.Errorf("kafka: create topic: %w", sarama.ErrInvalidReplicationFactor), false},
		{"topics not spread yet", plain, errors.New("kafka: topics not ready within 30s: broker k:9092: topic chat.events unknown"), false},
		{"EOF in plaintext", plain, outOf(io.EOF), false},
		{"EOF with SASL", sasl, outOf(io.EOF), true},
		{"EOF with TLS", secure, outOf(io.EOF), true},
		{"configuration", plain, fmt.Errorf("%w: no brokers", kafka.ErrConfig), true},
		{"partition count", plain, fmt.Errorf("%w: chat.events has 4 partitions, configured 8", kafka.ErrPartitions), true},
		{"sarama configuration", plain, sarama.ConfigurationError("Net.SASL.User must not be empty"), true},
		{"wrong password", sasl, outOf(sarama.ErrSASLAuthenticationFailed), true},
		{"wrong mechanism", sasl, outOf(sarama.ErrUnsupportedSASLMechanism), true},
		{"denied by ACLs", plain, fmt.Errorf("kafka: list topics: %w", sarama.ErrClusterAuthorizationFailed), true},
		{"unknown CA", secure, outOf(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), true},
		{"TLS to a plaintext listener", secure, outOf(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.cfg.Permanent(tc.err); got != tc.want {
				t.Errorf("Permanent(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestPermanentUnreachable: what EnsureTopics returns for brokers that
// refuse connections is worth waiting for.
func TestPermanentUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := kafka.Config{Brokers: []string{addr}}
	err = kafka.EnsureTopics(cfg)
	if err == nil || cfg.Permanent(err) {
		t.Fatalf("EnsureTopics against nothing: %v, permanent %v", err, cfg.Permanent(err))
	}
}
