package main

import (
	"slices"
	"strings"
	"testing"
)

func TestArrange(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// Already in order, or nothing to move.
		{"chatstate", "chatstate"},
		{"chatstate --brokers b rooms --json lobby", "chatstate --brokers b rooms --json lobby"},
		{"chatstate nosuch --json x", "chatstate nosuch --json x"},
		{"chatstate --brokers b", "chatstate --brokers b"},
		// A command's flags after its arguments.
		{"chatstate rooms lobby --json", "chatstate rooms --json lobby"},
		{"chatstate rooms lobby --limit 5 --prefix=l", "chatstate rooms --limit 5 --prefix=l lobby"},
		// Global flags after the command, with and without values; the
		// order among them is kept.
		{"chatstate rooms --brokers b", "chatstate --brokers b rooms"},
		{"chatstate --brokers a rooms lobby --brokers=b --json -log-level debug", "chatstate --brokers a --brokers=b -log-level debug rooms --json lobby"},
		{"chatstate rooms --kafka-tls lobby", "chatstate --kafka-tls rooms lobby"},
		// A value that looks like a flag is a value.
		{"chatstate server --auth-secret --json --http :1", "chatstate server --auth-secret --json --http :1"},
		{"chatstate rooms --prefix -x", "chatstate rooms --prefix -x"},
		// The command's own flag wins over a global one of the same name.
		{"chatstate token --auth-secret s --user u", "chatstate token --auth-secret s --user u"},
		// After "--", arguments only.
		{"chatstate rooms --brokers b -- --json", "chatstate --brokers b rooms -- --json"},
		{"chatstate rooms a -- -b --json", "chatstate rooms -- a -b --json"},
		// Unknown flags stay with the command; a missing value of the
		// command's flag is left for its parser to report.
		{"chatstate rooms lobby --nosuch", "chatstate rooms --nosuch lobby"},
		{"chatstate rooms --limit", "chatstate rooms --limit"},
		// --help anywhere is the command's help.
		{"chatstate rooms lobby --json -h", "chatstate rooms --help"},
		{"chatstate rooms lobby --brokers b --help", "chatstate --brokers b rooms --help"},
	} {
		got, err := arrange(newApp(), strings.Fields(c.in))
		if err != nil || !slices.Equal(got, strings.Fields(c.want)) {
			t.Errorf("%s:\n got %q, %v\nwant %q", c.in, got, err, c.want)
		}
	}
	if _, err := arrange(newApp(), strings.Fields("chatstate rooms lobby --brokers")); err == nil ||
		err.Error() != "flag needs an argument: -brokers (see chatstate --help)" {
		t.Errorf("a global flag without its value: %v", err)
	}
}
