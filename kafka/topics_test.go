package kafka_test

import (
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
)

func TestEnsureTopicsSettings(t *testing.T) {
	t.Parallel()
	cfg := testenv.Kafka(t, 3) // runs EnsureTopics
	cfg.Retention = 36 * time.Hour
	if err := kafka.EnsureTopics(cfg); err != nil {
		t.Fatalf("second run: %v", err)
	}
	admin, err := sarama.NewClusterAdmin(cfg.Brokers, cfg.Sarama("test"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	want := map[string]map[string]string{
		string(cfg.Names.Events):       {"cleanup.policy": "delete", "retention.ms": "604800000"},
		string(cfg.Names.Presence):     {"cleanup.policy": "delete"},
		string(cfg.Names.DeadLetter):   {"cleanup.policy": "delete"},
		string(cfg.Names.Typing):       {"cleanup.policy": "delete", "retention.ms": "60000"},
		string(cfg.Names.RoomsTable()): {"cleanup.policy": "compact"},
		string(cfg.Names.UsersTable()): {"cleanup.policy": "compact"},
	}
	topics, err := admin.DescribeTopics(keys(want))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range topics {
		if !errors.Is(d.Err, sarama.ErrNoError) || len(d.Partitions) != 3 {
			t.Errorf("%s: %v, %d partitions", d.Name, d.Err, len(d.Partitions))
		}
	}
	for topic, kv := range want {
		entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic})
		if err != nil {
			t.Fatalf("%s: %v", topic, err)
		}
		got := map[string]string{}
		for _, e := range entries {
			got[e.Name] = e.Value
		}
		for k, v := range kv {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", topic, k, got[k], v)
			}
		}
	}
}

func TestEnsureTopicsRetention(t *testing.T) {
	t.Parallel()
	cfg := testenv.Kafka(t, 1)
	cfg.Names = kafka.NewNames(cfg.Names.Prefix + "-r")
	cfg.Retention = 36 * time.Hour
	if err := kafka.EnsureTopics(cfg); err != nil {
		t.Fatal(err)
	}
	admin, err := sarama.NewClusterAdmin(cfg.Brokers, cfg.Sarama("test"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: string(cfg.Names.Events), ConfigNames: []string{"retention.ms"}})
	if err != nil || len(entries) != 1 || entries[0].Value != "129600000" {
		t.Fatalf("retention.ms: %v %+v", err, entries)
	}
}

func TestEnsureTopicsWrongPartitionCount(t *testing.T) {
	t.Parallel()
	cfg := testenv.Kafka(t, 2)
	cfg.Partitions = 4
	err := kafka.EnsureTopics(cfg)
	if !errors.Is(err, kafka.ErrPartitions) || !strings.Contains(err.Error(), "has 2 partitions, configured 4") {
		t.Fatalf("got %v, want ErrPartitions", err)
	}
}

func TestEnsureTopicsUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().String()
	l.Close()

	// A broker that accepts connections and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	// Parallel subtests run after this function returns: close in Cleanup.
	t.Cleanup(func() {
		silent.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	for _, tc := range []struct {
		name  string
		addr  string
		limit time.Duration
	}{
		{"refused", refused, 3 * time.Second},
		{"silent", silent.Addr().String(), 20 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			err := kafka.EnsureTopics(kafka.Config{Brokers: []string{tc.addr}})
			if err == nil {
				t.Fatal("no error")
			}
			t.Logf("failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
			if d := time.Since(start); d > tc.limit {
				t.Errorf("took %v to fail, want under %v: %v", d, tc.limit, err)
			}
		})
	}
}

func keys(m map[string]map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
