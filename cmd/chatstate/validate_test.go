package main_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestConfigRefusedAtStart: every numeric, duration and address flag of
// server, dev and processor is checked before anything starts; the reason
// names the flag. The brokers named are unreachable and the directories
// named are never created: a check that came after the start would fail
// otherwise.
func TestConfigRefusedAtStart(t *testing.T) {
	t.Parallel()
	brokers := freeAddr(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"server", "--session-ttl", "-5s"}, "--session-ttl must be positive, got -5s"},
		{[]string{"server", "--session-ttl", "0s"}, "--session-ttl must be positive, got 0s"},
		{[]string{"server", "--session-ttl", "10ms"}, "--session-ttl must be at least 1s, got 10ms"},
		{[]string{"server", "--ping-interval", "-1s"}, "--ping-interval must be positive, got -1s"},
		{[]string{"server", "--presence-delay", "-1ms"}, "--presence-delay must be from 0 to 1s, got -1ms"},
		{[]string{"dev", "--presence-delay", "2s"}, "--presence-delay must be from 0 to 1s, got 2s"},
		{[]string{"server", "--queue-size", "-1"}, "--queue-size must be positive, got -1"},
		{[]string{"server", "--queue-size", "0"}, "--queue-size must be positive, got 0"},
		{[]string{"server", "--max-rooms", "0"}, "--max-rooms must be positive, got 0"},
		{[]string{"server", "--max-conns-per-user", "-2"}, "--max-conns-per-user must be positive, got -2"},
		{[]string{"server", "--max-conns-per-addr", "0"}, "--max-conns-per-addr must be positive, got 0"},
		{[]string{"server", "--send-rate", "-0.5"}, "--send-rate must be positive, got -0.5"},
		{[]string{"server", "--send-rate", "NaN"}, "--send-rate must be positive, got NaN"},
		{[]string{"server", "--send-rate", "+Inf"}, "--send-rate must be positive and finite, got +Inf"},
		{[]string{"server", "--send-burst", "0"}, "--send-burst must be positive, got 0"},
		{[]string{"server", "--http", "8080"}, `--http "8080" is not a listen address: use host:port or :port`},
		{[]string{"server", "--allowed-origins", "chat.example.com"}, `--allowed-origins must be "*" or scheme://host[:port], got "chat.example.com"`},
		{[]string{"server", "--state-dir", ""}, "--state-dir must not be empty"},
		{[]string{"--partitions", "0", "server"}, "--partitions must be between 1 and 10000, got 0"},
		{[]string{"server", "--replication", "-1"}, "--replication must be 0 (min(3, brokers)) or more, got -1"},
		{[]string{"server", "--retention", "-1h"}, "--retention must be positive, got -1h0m0s"},
		{[]string{"server", "--topic-prefix", "a b"}, `--topic-prefix "a b" is not a valid prefix: use letters, digits, '.', '_' or '-'`},
		{[]string{"dev", "--session-ttl", "-5s"}, "--session-ttl must be positive, got -5s"},
		{[]string{"dev", "--queue-size", "-1"}, "--queue-size must be positive, got -1"},
		{[]string{"dev", "--broker-addr", "nohost"}, `--broker-addr "nohost" is not a listen address: use host:port or :port`},
		{[]string{"dev", "--data-dir", ""}, "--data-dir must not be empty"},
		{[]string{"broker", "--broker-addr", "nohost"}, `--broker-addr "nohost" is not a listen address: use host:port or :port`},
		{[]string{"processor", "--groups", "rooms,chat"}, `unknown group "chat" in --groups: use rooms, users, servers`},
		{[]string{"processor", "--state-dir", ""}, "--state-dir must not be empty"},
		{[]string{"processor", "--partitions", "10001"}, "--partitions must be between 1 and 10000, got 10001"},
		{[]string{"server", "--kafka-wait", "-1s"}, "--kafka-wait must be 0 (wait until stopped) or positive, got -1s"},
		{[]string{"processor", "--kafka-wait", "-1m"}, "--kafka-wait must be 0 (wait until stopped) or positive, got -1m0s"},
		{[]string{"rooms", "--timeout", "0s"}, "--timeout must be positive, got 0s"},
		{[]string{"verify", "--wait", "-1s"}, "--wait must be positive, got -1s"},
	} {
		dir := t.TempDir()
		state, data := filepath.Join(dir, "state"), filepath.Join(dir, "data")
		args := append([]string{}, c.args...)
		// The directories and the broker's address, unless the case sets
		// them.
		for _, f := range []struct{ cmds, flag, value string }{
			{"server processor", "--state-dir", state}, {"dev broker", "--data-dir", data}, {"dev broker", "--broker-addr", freeAddr(t)},
		} {
			if strings.Contains(f.cmds, args[0]) && !slices.Contains(args, f.flag) {
				args = append(args, f.flag, f.value)
			}
		}
		refused(t, nil, "chatstate: "+c.want, append([]string{"--brokers", brokers}, args...)...)
		for _, d := range []string{state, data} {
			if _, err := os.Stat(d); !os.IsNotExist(err) {
				t.Errorf("%q created %s", c.args, d)
			}
		}
	}
}
