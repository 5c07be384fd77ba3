package main

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/urfave/cli/v2"
)

// The checks of the command line: each refuses a flag with a reason that
// names it, before anything starts.

// checkGlobalFlags checks the global flags every command shares.
func checkGlobalFlags(c *cli.Context) error {
	if p := c.String("topic-prefix"); p == "" || strings.ContainsAny(p, " /\\") {
		return fmt.Errorf("--topic-prefix %q is not a valid prefix: use letters, digits, '.', '_' or '-'", p)
	}
	if n := c.Int("partitions"); n < 1 || n > 10000 {
		return fmt.Errorf("--partitions must be between 1 and 10000, got %d", n)
	}
	if n := c.Int("replication"); n < 0 {
		return fmt.Errorf("--replication must be 0 (min(3, brokers)) or more, got %d", n)
	}
	return positive(c, "retention")
}

// positive refuses any of the named int, float or duration flags that is
// zero or negative.
func positive(c *cli.Context, names ...string) error {
	for _, name := range names {
		var bad bool
		var got any
		switch v := c.Value(name).(type) {
		case int:
			bad, got = v <= 0, v
		case int64:
			bad, got = v <= 0, v
		case float64:
			bad, got = !(v > 0), v // NaN too
		case time.Duration:
			bad, got = v <= 0, v
		default:
			panic(fmt.Sprintf("positive: flag --%s is a %T", name, v))
		}
		if bad {
			return fmt.Errorf("--%s must be positive, got %v", name, got)
		}
	}
	return nil
}

// between refuses the int flag name outside lo..hi.
func between(c *cli.Context, name string, lo, hi int) error {
	if n := c.Int(name); n < lo || n > hi {
		return fmt.Errorf("--%s must be between %d and %d, got %d", name, lo, hi, n)
	}
	return nil
}

// namePrefix refuses the flag name unless it is empty or could begin a
// name, as ?prefix= of the HTTP API does: no name begins with "-" or ".".
func namePrefix(c *cli.Context, name string) error {
	if p := c.String(name); p != "" && !codec.ValidName(p) {
		return fmt.Errorf("--%s %q cannot begin a name: names match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", name, p)
	}
	return nil
}

// listenAddr refuses the flag name unless it is host:port, either part
// possibly empty.
func listenAddr(c *cli.Context, name string) error {
	if _, _, err := net.SplitHostPort(c.String(name)); err != nil {
		return fmt.Errorf("--%s %q is not a listen address: use host:port or :port", name, c.String(name))
	}
	return nil
}

// notEmpty refuses any of the named string flags that is empty.
func notEmpty(c *cli.Context, names ...string) error {
	for _, name := range names {
		if c.String(name) == "" {
			return fmt.Errorf("--%s must not be empty", name)
		}
	}
	return nil
}

// required refuses a command run without one of the named flags. (Flags
// marked Required make urfave/cli print the whole help first.)
func required(c *cli.Context, names ...string) error {
	for _, name := range names {
		if !c.IsSet(name) {
			return fmt.Errorf("--%s is required (see chatstate %s --help)", name, c.Command.Name)
		}
	}
	return nil
}

// checkName refuses a bad room or user name in the words of the command
// line; codec's own error is meant for logs and for the API.
func checkName(kind, name string) error {
	if name == "" {
		return fmt.Errorf("the %s name is empty", kind)
	}
	if !codec.ValidName(name) {
		return fmt.Errorf("%s %q is not a valid name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", kind, name)
	}
	return nil
}

// packages are the names with which this program's packages begin their
// errors.
var packages = map[string]bool{
	"auth": true, "codec": true, "embedded": true, "kafka": true, "logread": true, "processors": true,
	"replay": true, "server": true, "client": true, "tablestore": true, "views": true,
}

// oneLine is the one-line reason printed for err: white space folded, and
// the package names that head the parts of a wrapped error ("replay: ",
// "codec: ") left out, since they say where the error was made and not what
// went wrong. "kafka: " is kept once, as the first word of the reason about
// Kafka that follows it (sarama begins its errors with it too).
func oneLine(err error) string {
	parts := strings.Split(strings.Join(strings.Fields(err.Error()), " "), ": ")
	kept := parts[:0]
	sawKafka := false
	for i, p := range parts {
		keep := !packages[p] || i == len(parts)-1 || p == "kafka" && !sawKafka
		sawKafka = sawKafka || p == "kafka"
		if keep {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ": ")
}
