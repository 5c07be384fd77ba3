package server_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	if err := (server.Config{}).Validate(); err != nil {
		t.Fatalf("the zero Config (every default): %v", err)
	}
	ok := server.Config{ServerID: strings.Repeat("a", server.MaxServerID), AllowedOrigins: []string{"*", "https://chat.example.com:8443/"},
		SessionTTL: server.MinSessionTTL, PingInterval: time.Millisecond, SendRate: 0.001}
	if err := ok.Validate(); err != nil {
		t.Fatalf("%+v: %v", ok, err)
	}
	for _, c := range []struct {
		cfg  server.Config
		want server.ConfigError
	}{
		{server.Config{ServerID: strings.Repeat("a", server.MaxServerID+1)}, server.ConfigError{Field: "ServerID", Want: "1 to 55 letters, digits, '.', '_' or '-'", Got: `"` + strings.Repeat("a", 56) + `"`}},
		{server.Config{ServerID: "a/b"}, server.ConfigError{Field: "ServerID", Want: "1 to 55 letters, digits, '.', '_' or '-'", Got: `"a/b"`}},
		{server.Config{AllowedOrigins: []string{"chat.example.com"}}, server.ConfigError{Field: "AllowedOrigins", Want: `"*" or scheme://host[:port]`, Got: `"chat.example.com"`}},
		{server.Config{AllowedOrigins: []string{"https://chat.example.com/app"}}, server.ConfigError{Field: "AllowedOrigins", Want: `"*" or scheme://host[:port]`, Got: `"https://chat.example.com/app"`}},
		{server.Config{MaxFrameBytes: -1}, server.ConfigError{Field: "MaxFrameBytes", Want: "positive", Got: "-1"}},
		{server.Config{QueueSize: -1}, server.ConfigError{Field: "QueueSize", Want: "positive", Got: "-1"}},
		{server.Config{MaxRooms: -1}, server.ConfigError{Field: "MaxRooms", Want: "positive", Got: "-1"}},
		{server.Config{MaxConnsPerUser: -1}, server.ConfigError{Field: "MaxConnsPerUser", Want: "positive", Got: "-1"}},
		{server.Config{MaxConnsPerAddr: -1}, server.ConfigError{Field: "MaxConnsPerAddr", Want: "positive", Got: "-1"}},
		{server.Config{SendBurst: -1}, server.ConfigError{Field: "SendBurst", Want: "positive", Got: "-1"}},
		{server.Config{SendRate: -1}, server.ConfigError{Field: "SendRate", Want: "positive and finite", Got: "-1"}},
		{server.Config{SendRate: math.NaN()}, server.ConfigError{Field: "SendRate", Want: "positive and finite", Got: "NaN"}},
		{server.Config{SendRate: math.Inf(1)}, server.ConfigError{Field: "SendRate", Want: "positive and finite", Got: "+Inf"}},
		{server.Config{PingInterval: -time.Second}, server.ConfigError{Field: "PingInterval", Want: "positive", Got: "-1s"}},
		{server.Config{WriteTimeout: -time.Second}, server.ConfigError{Field: "WriteTimeout", Want: "positive", Got: "-1s"}},
		{server.Config{ReadTimeout: -time.Second}, server.ConfigError{Field: "ReadTimeout", Want: "positive", Got: "-1s"}},
		{server.Config{SessionTTL: -5 * time.Second}, server.ConfigError{Field: "SessionTTL", Want: "at least 1s", Got: "-5s"}},
		{server.Config{SessionTTL: 999 * time.Millisecond}, server.ConfigError{Field: "SessionTTL", Want: "at least 1s", Got: "999ms"}},
	} {
		var got *server.ConfigError
		if err := c.cfg.Validate(); !errors.As(err, &got) || *got != c.want {
			t.Errorf("%+v: got %v, want %+v", c.cfg, err, c.want)
		}
	}
}

// TestNewValidatesFirst: New refuses a bad Config before it connects to
// Kafka or touches the state directory.
func TestNewValidatesFirst(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	_, err := server.New(server.Config{SessionTTL: -time.Second}, kafka.Config{Brokers: []string{"127.0.0.1:1"}}, dir)
	if err == nil || err.Error() != "server: SessionTTL must be at least 1s, got -1s" {
		t.Fatalf("New: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("New created %s: %v", dir, err)
	}
}
