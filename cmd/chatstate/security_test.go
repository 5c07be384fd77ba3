package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/twmb/franz-go/pkg/kfake"
)

// TestSecuredBrokerFlags runs the binary against an embedded broker that
// demands TLS and SASL: with the right flags (or environment) a processor
// starts and a query reads the tables; with a wrong credential, CA or
// mechanism every command fails at start, quickly, with one line.
func TestSecuredBrokerFlags(t *testing.T) {
	t.Parallel()
	f := testenv.NewTLSFiles(t)
	addr := testenv.Broker(t, kfake.TLS(f.Server), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "chat", "s3cret"))
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := []string{"--brokers", addr, "--topic-prefix", "sec", "--partitions", "2", "--client-id", "sec-test",
		"--kafka-tls-ca", f.CA, "--kafka-sasl-mechanism", "SCRAM-SHA-512", "--kafka-sasl-user", "chat", "--kafka-sasl-password-file", pwFile}

	p := startWorker(t, "processor", append(good, "processor", "--state-dir", t.TempDir())...)
	p.waitLog(t, 30*time.Second, `msg="processor started" group=users`)
	// A whole deployment over TLS and SASL: a message goes through the
	// server, Kafka and the processors into the tables.
	addrHTTP := freeAddr(t)
	srv := startProc(t, addrHTTP, append(good, "server", "--http", addrHTTP, "--server-id", "sec1", "--state-dir", t.TempDir())...)
	alice := testenv.Dial(t, srv.url, "alice")
	alice.Send(testenv.Frame{"op": "join", "room": "vault"})
	alice.Expect("snapshot", testenv.Frame{})
	alice.ExpectEvent("vault", "join", "alice")
	alice.Send(testenv.Frame{"op": "send", "room": "vault", "text": "sealed", "ref": 1})
	alice.AckAndEcho(1)
	testenv.WaitFor(t, 30*time.Second, func() error {
		out, err := run(t, append(good, "rooms", "--json", "vault")...)
		if err != nil || !strings.Contains(out, `"messages": 1`) {
			return fmt.Errorf("rooms vault: %v %s", err, out)
		}
		return nil
	})
	srv.stop(t)
	// The same through the environment, password included.
	out, err := runEnv(t, []string{
		"CHATSTATE_BROKERS=" + addr, "CHATSTATE_TOPIC_PREFIX=sec", "CHATSTATE_PARTITIONS=2",
		"CHATSTATE_KAFKA_TLS_INSECURE_SKIP_VERIFY=true", "CHATSTATE_KAFKA_SASL_MECHANISM=scram-sha-512",
		"CHATSTATE_KAFKA_SASL_USER=chat", "CHATSTATE_KAFKA_SASL_PASSWORD=s3cret",
	}, "users", "--json")
	if err != nil || !strings.Contains(out, `"user": "alice"`) {
		t.Fatalf("users with credentials from the environment: %v %s", err, out)
	}
	p.stop(t)

	base := []string{"--brokers", addr, "--topic-prefix", "sec", "--partitions", "2"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"wrong password", []string{"--kafka-tls-ca", f.CA, "--kafka-sasl-mechanism", "SCRAM-SHA-512", "--kafka-sasl-user", "chat", "--kafka-sasl-password", "nope"}, "SASL"},
		{"wrong mechanism", []string{"--kafka-tls-ca", f.CA, "--kafka-sasl-mechanism", "PLAIN", "--kafka-sasl-user", "chat", "--kafka-sasl-password", "s3cret"}, "kafka"},
		{"unknown CA", []string{"--kafka-tls-ca", f.OtherCA, "--kafka-sasl-mechanism", "SCRAM-SHA-512", "--kafka-sasl-user", "chat", "--kafka-sasl-password", "s3cret"}, "certificate"},
		{"no TLS", []string{"--kafka-sasl-mechanism", "SCRAM-SHA-512", "--kafka-sasl-user", "chat", "--kafka-sasl-password", "s3cret"}, "kafka"},
		{"bad mechanism", []string{"--kafka-sasl-mechanism", "MD5", "--kafka-sasl-user", "chat", "--kafka-sasl-password", "x"}, "SASL mechanism"},
		{"missing CA file", []string{"--kafka-tls-ca", "/nonexistent/ca.pem"}, "CA file"},
		{"bad client id", []string{"--client-id", "a b"}, "client id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, cmd := range [][]string{
				{"processor", "--state-dir", t.TempDir()},
				{"server", "--http", "127.0.0.1:0", "--state-dir", t.TempDir()},
				{"rooms", "--json"},
			} {
				start := time.Now()
				out, err := run(t, append(append(append([]string{}, base...), tc.args...), cmd...)...)
				lines := strings.Split(strings.TrimSpace(out), "\n")
				if err == nil || len(lines) != 1 || !strings.HasPrefix(lines[0], "chatstate: ") || !strings.Contains(lines[0], tc.want) {
					t.Errorf("%s: want exit 1 with one line mentioning %q, got %v %q", cmd[0], tc.want, err, out)
				}
				if d := time.Since(start); d > 20*time.Second {
					t.Errorf("%s took %v to fail", cmd[0], d)
				}
				t.Logf("%s, %v: %s", cmd[0], time.Since(start).Round(time.Millisecond), lines[0])
			}
		})
	}
}

// TestUnreachableBrokersFailFast: a one-shot command pointed at nothing
// says so in one line within seconds; so do a server and a processor whose
// --kafka-wait runs out (without it they wait: TestStartBeforeKafka).
func TestUnreachableBrokersFailFast(t *testing.T) {
	t.Parallel()
	addr, _ := deadAddr(t)
	for _, tc := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"rooms"}, "connection refused"},
		{[]string{"users", "--online"}, "connection refused"},
		{[]string{"topics"}, "connection refused"},
		{[]string{"verify"}, "connection refused"},
		{[]string{"replay", "--room", "lobby"}, "connection refused"},
		{[]string{"processor", "--kafka-wait", "1s", "--state-dir", t.TempDir()}, "gave up waiting for Kafka after --kafka-wait 1s: "},
		{[]string{"server", "--kafka-wait", "1s", "--http", "127.0.0.1:0", "--state-dir", t.TempDir()}, "gave up waiting for Kafka after --kafka-wait 1s: "},
	} {
		start := time.Now()
		out, err := run(t, append([]string{"--brokers", addr}, tc.cmd...)...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		last := lines[len(lines)-1]
		if err == nil || !strings.HasPrefix(last, "chatstate: ") || !strings.Contains(last, tc.want) || !strings.Contains(last, "connection refused") {
			t.Errorf("%s: want exit 1 and a last line about the refused connection with %q, got %v %q", tc.cmd[0], tc.want, err, out)
		}
		if tc.cmd[0] != "server" && tc.cmd[0] != "processor" && len(lines) != 1 {
			t.Errorf("%s: want one line, got %q", tc.cmd[0], out)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %v to fail", tc.cmd[0], d)
		}
	}
}
