package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"

	"github.com/IBM/sarama"
)

// Permanent reports whether err, returned by connecting to the brokers as c
// says (EnsureTopics, Ping, a sarama client or goka made from c), is one
// that waiting cannot mend: a configuration error (ErrConfig), a topic with
// another partition count (ErrPartitions), a broker certificate that does
// not verify or a TLS handshake with a listener that does not speak TLS,
// credentials or a SASL mechanism the broker refuses, a request the ACLs
// deny. Everything else counts as the brokers not being reachable yet:
// refused or timed-out connections, unknown hosts (a container whose name
// is not in DNS yet), a cluster that has no controller or leaders yet, or
// fewer brokers than the replication factor (a cluster still forming).
//
// A connection the broker closes without a word (EOF) is permanent when c
// uses TLS or SASL: that is how a broker answers wrong credentials or a
// plaintext client on a TLS listener. Without either it is not, because a
// port forwarder in front of a broker that is not listening yet (Docker's
// published ports) closes connections the same way.
func (c Config) Permanent(err error) bool {
	if err == nil {
		return false
	}
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		header    tls.RecordHeaderError
		alert     tls.AlertError
		saramaCfg sarama.ConfigurationError
	)
	switch {
	case errors.Is(err, ErrConfig), errors.Is(err, ErrPartitions),
		errors.As(err, &saramaCfg),
		errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &verify), errors.As(err, &header), errors.As(err, &alert):
		return true
	}
	for _, k := range permanentKErrors {
		if errors.Is(err, k) {
			return true
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return c.Security.TLSEnabled() || c.Security.SASLMechanism != ""
	}
	return false
}

// permanentKErrors are the broker's answers that stay the same however long
// one waits: authentication, authorization, and requests the broker
// refuses as invalid.
var permanentKErrors = []sarama.KError{
	sarama.ErrSASLAuthenticationFailed,
	sarama.ErrUnsupportedSASLMechanism,
	sarama.ErrIllegalSASLState,
	sarama.ErrTopicAuthorizationFailed,
	sarama.ErrGroupAuthorizationFailed,
	sarama.ErrClusterAuthorizationFailed,
	sarama.ErrPolicyViolation,
	sarama.ErrInvalidConfig,
	sarama.ErrInvalidTopic,
	sarama.ErrInvalidPartitions,
	sarama.ErrUnsupportedVersion,
}
