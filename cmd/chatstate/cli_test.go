package main_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// result is how a command ended: what it wrote on each stream and its exit
// code.
type result struct {
	stdout, stderr string
	code           int
}

// runSplit runs the binary to completion with extra environment variables,
// keeping its standard output and standard error apart.
func runSplit(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%v: %v", args, err)
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}
}

// refused expects the command to exit 1, print nothing on standard output,
// and print exactly want (one line) on standard error.
func refused(t *testing.T, env []string, want string, args ...string) {
	t.Helper()
	r := runSplit(t, env, args...)
	if r.code != 1 || r.stdout != "" || r.stderr != want+"\n" {
		t.Errorf("%q:\n got exit %d, stdout %q, stderr %q\nwant exit 1, no stdout, stderr %q", args, r.code, r.stdout, r.stderr, want)
	}
}

// TestUsageErrorsAreOneLine: a flag or command the parser refuses is one
// line naming it and where the help is, not the help itself.
func TestUsageErrorsAreOneLine(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"rooms", "--nosuch"}, "chatstate: flag provided but not defined: -nosuch (see chatstate rooms --help)"},
		{[]string{"server", "-nosuch=1"}, "chatstate: flag provided but not defined: -nosuch (see chatstate server --help)"},
		{[]string{"--nosuch", "rooms"}, "chatstate: flag provided but not defined: -nosuch (see chatstate --help)"},
		{[]string{"rooms", "--limit", "many"}, `chatstate: invalid value "many" for flag -limit: parse error (see chatstate rooms --help)`},
		{[]string{"rooms", "--limit"}, "chatstate: flag needs an argument: -limit (see chatstate rooms --help)"},
		{[]string{"rooms", "--brokers"}, "chatstate: flag needs an argument: -brokers (see chatstate --help)"},
		{[]string{"nosuchcmd"}, `chatstate: unknown command "nosuchcmd" (see chatstate --help)`},
		{[]string{"help", "nosuchcmd"}, `chatstate: unknown command "nosuchcmd" (see chatstate --help)`},
		{[]string{"--log-level", "warn", "nosuchcmd", "--json"}, `chatstate: unknown command "nosuchcmd" (see chatstate --help)`},
		{[]string{"replay"}, "chatstate: --room is required (see chatstate replay --help)"},
		{[]string{"token", "--auth-secret", "s"}, "chatstate: --user is required (see chatstate token --help)"},
	} {
		refused(t, nil, c.want, c.args...)
	}
	// The help itself is still there, for the program and for a command,
	// wherever --help is.
	for _, args := range [][]string{{"--help"}, {"rooms", "--help"}, {"rooms", "lobby", "--json", "-h"}, {"help"}, {"help", "rooms"}} {
		if r := runSplit(t, nil, args...); r.code != 0 || !bytes.Contains([]byte(r.stdout), []byte("USAGE:")) || r.stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

// TestFlagsAfterArguments: the flags of a command after its arguments, and
// global flags after the command, are read; they and the environment reach
// the command (here: the brokers it fails to reach).
func TestFlagsAfterArguments(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t) // nobody listens
	unreachable := "chatstate: kafka: connect to [" + addr + "] (plaintext): client has run out of available brokers to talk to: dial tcp " +
		addr + ": connect: connection refused"
	refused(t, nil, unreachable, "rooms", "--brokers", addr)
	refused(t, nil, unreachable, "rooms", "lobby", "--json", "--brokers", addr)
	refused(t, nil, unreachable, "users", "--online", "--brokers="+addr, "--limit", "5")
	refused(t, []string{"CHATSTATE_BROKERS=" + addr}, unreachable, "rooms", "lobby", "--json")
	// A flag after the arguments is checked like one before them.
	refused(t, nil, "chatstate: --limit must be between 1 and 10000, got 0", "rooms", "--brokers", addr, "--limit", "0", "--json")
	refused(t, nil, "chatstate: --partitions must be between 1 and 10000, got 0", "rooms", "lobby", "--partitions", "0")
	// After "--" everything is an argument.
	refused(t, nil, `chatstate: room "--json" is not a valid name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
		"rooms", "--brokers", addr, "--", "--json")
	refused(t, nil, "chatstate: rooms takes at most one ROOM, got 2 arguments", "rooms", "a", "--json", "b")
}

// TestLimitBounds: --limit has the bounds of ?limit= in the HTTP API, and
// --prefix its rule.
func TestLimitBounds(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"rooms", "--limit", "0"}, "chatstate: --limit must be between 1 and 10000, got 0"},
		{[]string{"rooms", "--limit", "-3"}, "chatstate: --limit must be between 1 and 10000, got -3"},
		{[]string{"rooms", "--limit", "10001"}, "chatstate: --limit must be between 1 and 10000, got 10001"},
		{[]string{"users", "--limit", "0"}, "chatstate: --limit must be between 1 and 100000, got 0"},
		{[]string{"users", "--limit", "100001", "--online"}, "chatstate: --limit must be between 1 and 100000, got 100001"},
		// --prefix as ?prefix=: what cannot begin a name is refused.
		{[]string{"rooms", "--prefix=-a"}, `chatstate: --prefix "-a" cannot begin a name: names match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`},
		{[]string{"users", "--prefix", "a b"}, `chatstate: --prefix "a b" cannot begin a name: names match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`},
	} {
		refused(t, nil, c.want, append(c.args, "--brokers", addr)...)
	}
}

// TestReasonsInUserWords: names are refused in the words of the command
// line, and no package names head the reasons.
func TestReasonsInUserWords(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	const rules = " is not a valid name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
	refused(t, nil, `chatstate: room "x y"`+rules, "rooms", "x y", "--brokers", addr)
	refused(t, nil, `chatstate: room "-x"`+rules, "replay", "--room=-x", "--brokers", addr)
	refused(t, nil, `chatstate: user "a/b"`+rules, "token", "--user", "a/b", "--auth-secret", "s")
	refused(t, nil, "chatstate: --auth-secret must not be empty", "token", "--user", "ann", "--auth-secret", "")
	refused(t, nil, "chatstate: --ttl must be positive, got -1s", "token", "--user", "ann", "--auth-secret", "s", "--ttl", "-1s")
	refused(t, nil, "chatstate: --until-cursor must be 0 or more, got -2", "replay", "--room", "a", "--until-cursor", "-2")
	// "kafka" once, as the word of what could not be reached; the same
	// words for every command that reads Kafka.
	unreachable := "chatstate: kafka: connect to [" + addr + "] (plaintext): client has run out of available brokers to talk to: dial tcp " +
		addr + ": connect: connection refused"
	for _, cmd := range [][]string{{"replay", "--room", "a"}, {"verify"}, {"rebuild", "--dry-run"}, {"topics"}, {"rooms"}} {
		refused(t, nil, unreachable, append(cmd, "--brokers", addr)...)
	}
	// The secret comes from the environment too.
	if r := runSplit(t, []string{"CHATSTATE_AUTH_SECRET=s"}, "token", "--user", "ann"); r.code != 0 || bytes.Count([]byte(r.stdout), []byte(".")) != 2 {
		t.Errorf("token with the secret in the environment: %+v", r)
	}
}
