package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ensure runs EnsureTopics (sarama) and, once it succeeds, writes a record
// with the server's kgo producer (kafka.Config.Producer), so that both
// clients are shown to speak cfg's security; it fails the test if it takes
// longer than a start may: a bad credential is an error within seconds,
// never a hang.
func ensure(t *testing.T, cfg kafka.Config) error {
	t.Helper()
	cfg.Names = kafka.NewNames("sec")
	cfg.Partitions = 2
	start := time.Now()
	err := kafka.EnsureTopics(cfg)
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("EnsureTopics took %v", d)
	}
	if err != nil && strings.Contains(err.Error(), "\n") {
		t.Logf("multi-line error (the command line joins it): %q", err)
	}
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(cfg.Producer("sec")...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	rec := &kgo.Record{Topic: string(cfg.Names.Events), Key: []byte("room"), Value: []byte("{}")}
	if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return fmt.Errorf("kgo write: %w", err)
	}
	return nil
}

func TestSASL(t *testing.T) {
	t.Parallel()
	for _, mech := range []string{kafka.SASLPlain, kafka.SASLScramSHA256, kafka.SASLScramSHA512} {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			addr := testenv.Broker(t, kfake.EnableSASL(), kfake.Superuser(mech, "chat", "s3cret"))
			good := kafka.Config{Brokers: []string{addr}, Security: kafka.Security{SASLMechanism: strings.ToLower(mech), SASLUser: "chat", SASLPassword: "s3cret"}}
			if err := ensure(t, good); err != nil {
				t.Fatalf("right credentials: %v", err)
			}
			bad := good
			bad.Security.SASLPassword = "wrong"
			if err := ensure(t, bad); err == nil {
				t.Fatal("wrong password accepted")
			}
			none := kafka.Config{Brokers: []string{addr}}
			if err := ensure(t, none); err == nil {
				t.Fatal("no credentials accepted")
			}
		})
	}
}

func TestSASLPasswordFile(t *testing.T) {
	t.Parallel()
	addr := testenv.Broker(t, kfake.EnableSASL(), kfake.Superuser(kafka.SASLScramSHA512, "chat", "from-file"))
	file := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := kafka.Config{Brokers: []string{addr}, Security: kafka.Security{SASLMechanism: kafka.SASLScramSHA512, SASLUser: "chat", SASLPasswordFile: file}}
	if err := ensure(t, cfg); err != nil {
		t.Fatal(err)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	f := testenv.NewTLSFiles(t)
	addr := testenv.Broker(t, kfake.TLS(f.Server))
	cases := []struct {
		name string
		sec  kafka.Security
		ok   bool
		// Connections made by Config.Dial (WithContext), through which
		// sarama and kgo dial the TCP connection and do TLS themselves.
		dial bool
	}{
		{"our CA", kafka.Security{CAFile: f.CA}, true, false},
		{"our CA, with Dial", kafka.Security{CAFile: f.CA}, true, true},
		{"skip verify", kafka.Security{InsecureSkipVerify: true}, true, false},
		{"another CA", kafka.Security{CAFile: f.OtherCA}, false, false},
		{"another CA, with Dial", kafka.Security{CAFile: f.OtherCA}, false, true},
		{"system roots", kafka.Security{TLS: true}, false, false},
		{"plaintext", kafka.Security{}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := kafka.Config{Brokers: []string{addr}, Security: tc.sec}
			if tc.dial {
				cfg = cfg.WithContext(t.Context())
			}
			err := ensure(t, cfg)
			if (err == nil) != tc.ok {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestMutualTLSWithSASL(t *testing.T) {
	t.Parallel()
	f := testenv.NewTLSFiles(t)
	addr := testenv.Broker(t, kfake.TLS(f.ServerRequireClientCrt), kfake.EnableSASL(), kfake.Superuser(kafka.SASLPlain, "chat", "pw"))
	sec := kafka.Security{CAFile: f.CA, CertFile: f.Cert, KeyFile: f.Key, SASLMechanism: kafka.SASLPlain, SASLUser: "chat", SASLPassword: "pw"}
	if err := ensure(t, kafka.Config{Brokers: []string{addr}, Security: sec}); err != nil {
		t.Fatalf("client certificate and SASL: %v", err)
	}
	sec.CertFile, sec.KeyFile = "", ""
	if err := ensure(t, kafka.Config{Brokers: []string{addr}, Security: sec}); err == nil {
		t.Fatal("connected without the client certificate the broker demands")
	}
}

func TestSecurityValidation(t *testing.T) {
	t.Parallel()
	f := testenv.NewTLSFiles(t)
	cases := []struct {
		name string
		sec  kafka.Security
		want string
	}{
		{"unknown mechanism", kafka.Security{SASLMechanism: "GSSAPI", SASLUser: "u", SASLPassword: "p"}, "SASL mechanism"},
		{"no user", kafka.Security{SASLMechanism: "PLAIN", SASLPassword: "p"}, "needs a user"},
		{"no password", kafka.Security{SASLMechanism: "PLAIN", SASLUser: "u"}, "needs a password"},
		{"password twice", kafka.Security{SASLMechanism: "PLAIN", SASLUser: "u", SASLPassword: "p", SASLPasswordFile: f.CA}, "not both"},
		{"missing password file", kafka.Security{SASLMechanism: "PLAIN", SASLUser: "u", SASLPasswordFile: "/nonexistent"}, "password file"},
		{"user without mechanism", kafka.Security{SASLUser: "u"}, "without a SASL mechanism"},
		{"missing CA", kafka.Security{CAFile: "/nonexistent"}, "CA file"},
		{"CA not PEM", kafka.Security{CAFile: f.Key}, "no PEM certificate"},
		{"cert without key", kafka.Security{CertFile: f.Cert}, "both"},
		{"key is not the cert's", kafka.Security{CertFile: f.CA, KeyFile: f.Key}, "client certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kafka.Config{Brokers: []string{"127.0.0.1:1"}, Security: tc.sec}.WithDefaults()
			if !errors.Is(err, kafka.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrConfig with %q", err, tc.want)
			}
		})
	}
	cfg, err := kafka.Config{Brokers: []string{"x:1"}, Security: kafka.Security{SASLMechanism: "scram-sha-256", SASLUser: "u", SASLPassword: "p"}}.WithDefaults()
	if err != nil || cfg.Security.SASLMechanism != kafka.SASLScramSHA256 {
		t.Fatalf("mechanism not normalised: %v %q", err, cfg.Security.SASLMechanism)
	}
	s := cfg.Sarama("t")
	if !s.Net.SASL.Enable || s.Net.SASL.SCRAMClientGeneratorFunc == nil || s.Net.TLS.Enable {
		t.Fatalf("sarama config: SASL %v, SCRAM %v, TLS %v", s.Net.SASL.Enable, s.Net.SASL.SCRAMClientGeneratorFunc != nil, s.Net.TLS.Enable)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("sarama rejects the config: %v", err)
	}
}
