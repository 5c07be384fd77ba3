package kafka_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kgoProduce writes one record with a client of cfg.Kgo and returns it as
// Kafka acknowledged it; a write that gets no answer within timeout is an
// error (kgo retries a refused connection until the write's deadline).
func kgoProduce(t *testing.T, cfg kafka.Config, topic, key string, timeout time.Duration) (*kgo.Record, error) {
	t.Helper()
	cl, err := kgo.NewClient(cfg.Kgo("test")...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(key), Value: []byte("v")}).First()
}

func TestKgoPartitionsAsGoka(t *testing.T) {
	t.Parallel()
	cfg := testenv.Kafka(t, 8)
	cl, err := kgo.NewClient(cfg.Kgo("test")...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for i := range 64 {
		recs = append(recs, &kgo.Record{Topic: string(cfg.Names.Events), Key: fmt.Appendf(nil, "room-%d", i), Value: []byte("v")})
	}
	res := cl.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		t.Fatal(err)
	}
	seen := map[int32]bool{}
	for _, r := range res {
		if want := kafka.Partition(string(r.Record.Key), 8); r.Record.Partition != want {
			t.Errorf("key %s: partition %d, goka's is %d", r.Record.Key, r.Record.Partition, want)
		}
		seen[r.Record.Partition] = true
	}
	if len(seen) != 8 {
		t.Errorf("64 keys reached %d of 8 partitions", len(seen))
	}
}

func TestKgoSecurity(t *testing.T) {
	t.Parallel()
	topic := string(kafka.NewNames("sec").Events)
	f := testenv.NewTLSFiles(t)
	sasl := testenv.Broker(t, kfake.EnableSASL(), kfake.Superuser(kafka.SASLScramSHA256, "chat", "s3cret"), kfake.Superuser(kafka.SASLPlain, "chat", "s3cret"))
	tlsAddr := testenv.Broker(t, kfake.TLS(f.Server))
	mutual := testenv.Broker(t, kfake.TLS(f.ServerRequireClientCrt), kfake.EnableSASL(), kfake.Superuser(kafka.SASLScramSHA512, "chat", "pw"))
	cases := []struct {
		name string
		addr string
		sec  kafka.Security
		ok   bool
	}{
		{"SCRAM-SHA-256", sasl, kafka.Security{SASLMechanism: kafka.SASLScramSHA256, SASLUser: "chat", SASLPassword: "s3cret"}, true},
		{"PLAIN", sasl, kafka.Security{SASLMechanism: kafka.SASLPlain, SASLUser: "chat", SASLPassword: "s3cret"}, true},
		{"wrong password", sasl, kafka.Security{SASLMechanism: kafka.SASLScramSHA256, SASLUser: "chat", SASLPassword: "wrong"}, false},
		{"our CA", tlsAddr, kafka.Security{CAFile: f.CA}, true},
		{"another CA", tlsAddr, kafka.Security{CAFile: f.OtherCA}, false},
		{"mutual TLS and SCRAM-SHA-512", mutual, kafka.Security{CAFile: f.CA, CertFile: f.Cert, KeyFile: f.Key, SASLMechanism: kafka.SASLScramSHA512, SASLUser: "chat", SASLPassword: "pw"}, true},
		{"no client certificate", mutual, kafka.Security{CAFile: f.CA, SASLMechanism: kafka.SASLScramSHA512, SASLUser: "chat", SASLPassword: "pw"}, false},
	}
	// The topics, made with the sarama admin and the right credentials.
	for _, addr := range []string{sasl, tlsAddr, mutual} {
		for _, tc := range cases {
			if tc.addr == addr && tc.ok {
				if err := ensure(t, kafka.Config{Brokers: []string{addr}, Security: tc.sec}); err != nil {
					t.Fatalf("topics on %s: %v", addr, err)
				}
				break
			}
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := kafka.Config{Brokers: []string{tc.addr}, Names: kafka.NewNames("sec"), Partitions: 2, Security: tc.sec}.WithDefaults()
			if err != nil {
				t.Fatal(err)
			}
			timeout := 15 * time.Second
			if !tc.ok {
				timeout = 2 * time.Second
			}
			r, err := kgoProduce(t, cfg, topic, "room", timeout)
			if (err == nil) != tc.ok {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
			if err == nil && r.Partition != kafka.Partition("room", 2) {
				t.Fatalf("partition %d, want %d", r.Partition, kafka.Partition("room", 2))
			}
		})
	}
}
