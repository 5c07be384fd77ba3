package kafka

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"
)

// The SASL mechanisms chatstate speaks.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// Security says how to connect to the brokers: TLS, SASL, both or neither.
// The zero value is plaintext without authentication, as the embedded broker
// and a local Apache Kafka speak. Files are read by Config.WithDefaults, so a
// missing or malformed file is a configuration error at start.
type Security struct {
	// TLS enables TLS with the system's root certificates. Zero value means
	// TLS is on only when one of the fields below asks for it.
	TLS bool
	// CAFile is a PEM file of the certificate authorities that sign the
	// brokers' certificates; it enables TLS. Zero value means the system's.
	CAFile string
	// CertFile and KeyFile are the PEM client certificate and key for mutual
	// TLS; both or neither. They enable TLS.
	CertFile, KeyFile string
	// InsecureSkipVerify enables TLS without checking the brokers'
	// certificates. For development only: anyone on the path can listen.
	InsecureSkipVerify bool

	// SASLMechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (any case).
	// Zero value means no SASL.
	SASLMechanism string
	// SASLUser is the SASL user name; required with a mechanism.
	SASLUser string
	// SASLPassword is the SASL password. Give it or SASLPasswordFile.
	SASLPassword string
	// SASLPasswordFile is a file holding the password; one trailing line
	// break is dropped. It keeps the password out of the process list.
	SASLPasswordFile string

	// tls is the configuration built by resolve.
	tls *tls.Config
}

// TLSEnabled reports whether connections use TLS.
func (s Security) TLSEnabled() bool {
	return s.TLS || s.CAFile != "" || s.CertFile != "" || s.KeyFile != "" || s.InsecureSkipVerify
}

// resolve checks s, reads its files and returns it ready for apply, or an
// error wrapping ErrConfig.
func (s Security) resolve() (Security, error) {
	if s.SASLMechanism != "" {
		m := strings.ToUpper(strings.TrimSpace(s.SASLMechanism))
		switch m {
		case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		default:
			return s, fmt.Errorf("%w: SASL mechanism %q: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", ErrConfig, s.SASLMechanism)
		}
		s.SASLMechanism = m
		if s.SASLUser == "" {
			return s, fmt.Errorf("%w: SASL %s needs a user", ErrConfig, m)
		}
		if s.SASLPassword != "" && s.SASLPasswordFile != "" {
			return s, fmt.Errorf("%w: give the SASL password or a password file, not both", ErrConfig)
		}
		if s.SASLPasswordFile != "" {
			b, err := os.ReadFile(s.SASLPasswordFile)
			if err != nil {
				return s, fmt.Errorf("%w: SASL password file: %w", ErrConfig, err)
			}
			s.SASLPassword = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
			s.SASLPasswordFile = ""
		}
		if s.SASLPassword == "" {
			return s, fmt.Errorf("%w: SASL %s needs a password", ErrConfig, m)
		}
	} else if s.SASLUser != "" || s.SASLPassword != "" || s.SASLPasswordFile != "" {
		return s, fmt.Errorf("%w: SASL user or password given without a SASL mechanism", ErrConfig)
	}
	if !s.TLSEnabled() || s.tls != nil {
		return s, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.InsecureSkipVerify} //nolint:gosec // development only, documented
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return s, fmt.Errorf("%w: TLS CA file: %w", ErrConfig, err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(pem) {
			return s, fmt.Errorf("%w: TLS CA file %s holds no PEM certificate", ErrConfig, s.CAFile)
		}
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		return s, fmt.Errorf("%w: a TLS client certificate needs both the cert and the key file", ErrConfig)
	}
	if s.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
		if err != nil {
			return s, fmt.Errorf("%w: TLS client certificate: %w", ErrConfig, err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	s.tls = t
	return s, nil
}

// apply sets TLS and SASL on a sarama configuration. s must have been
// resolved; an unresolved s is resolved here and, if that fails, the
// connection is left to fail (WithDefaults reports the reason).
func (s Security) apply(c *sarama.Config) {
	if r, err := s.resolve(); err == nil {
		s = r
	}
	if s.tls != nil {
		c.Net.TLS.Enable = true
		c.Net.TLS.Config = s.tls.Clone()
	}
	if s.SASLMechanism == "" {
		return
	}
	c.Net.SASL.Enable = true
	c.Net.SASL.Handshake = true
	c.Net.SASL.Version = sarama.SASLHandshakeV1
	c.Net.SASL.User = s.SASLUser
	c.Net.SASL.Password = s.SASLPassword
	c.Net.SASL.Mechanism = sarama.SASLMechanism(s.SASLMechanism)
	switch s.SASLMechanism {
	case SASLScramSHA256:
		c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{gen: scram.HashGeneratorFcn(sha256.New)} }
	case SASLScramSHA512:
		c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{gen: scram.HashGeneratorFcn(sha512.New)} }
	}
}

// scramClient adapts xdg-go/scram to sarama.SCRAMClient, as sarama's own
// examples do. One instance serves one authentication.
type scramClient struct {
	gen  scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

// Begin starts a conversation for user.
func (c *scramClient) Begin(user, password, authzID string) error {
	client, err := c.gen.NewClient(user, password, authzID)
	if err != nil {
		return err
	}
	c.conv = client.NewConversation()
	return nil
}

// Step answers the server's challenge.
func (c *scramClient) Step(challenge string) (string, error) {
	return c.conv.Step(challenge)
}

// Done reports whether the conversation is over.
func (c *scramClient) Done() bool { return c.conv.Done() }

// describe names how s connects, for error messages: "TLS, SASL PLAIN as
// user u" or "plaintext".
func (s Security) describe() string {
	var parts []string
	if s.TLSEnabled() {
		parts = append(parts, "TLS")
	} else {
		parts = append(parts, "plaintext")
	}
	if s.SASLMechanism != "" {
		parts = append(parts, "SASL "+s.SASLMechanism+" as user "+s.SASLUser)
	}
	return strings.Join(parts, ", ")
}

// connectError wraps an error of connecting to brokers with how the
// connection was made and, when the broker hung up without a word, the
// usual reasons: that is how a broker answers wrong credentials or a
// plaintext client on a TLS listener.
func (c Config) connectError(err error) error {
	hint := ""
	if errors.Is(err, io.EOF) || strings.HasSuffix(err.Error(), "EOF") {
		hint = " (the broker closed the connection: check the SASL mechanism and credentials, and whether the listener expects TLS)"
	}
	return fmt.Errorf("kafka: connect to %v (%s): %w%s", c.Brokers, c.Security.describe(), err, hint)
}
