package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// arrange reorders a command line so that flags may come anywhere after the
// program name: urfave/cli, like Go's flag package, stops at the first
// argument that is not a flag, and reads the global flags only before the
// command. Global flags given after the command move before it, and the
// command's flags move before its arguments; everything after "--" stays an
// argument. A flag the command and the program both define is the
// command's. A flag nobody defines stays with the command, whose parser
// then reports it. The order of the flags among themselves is kept, so that
// the last of a repeated flag still wins. With --help anywhere, the
// command's help is all there is to show.
//
// It returns args unchanged when they name no known command.
func arrange(app *cli.App, args []string) ([]string, error) {
	global := flagTable(app.Flags, cli.HelpFlag, cli.VersionFlag)
	i := 1
	for i < len(args) && isFlag(args[i]) {
		if args[i] == "--" {
			return args, nil
		}
		name, inline := flagName(args[i])
		if global[name] && !inline {
			i++ // its value
		}
		i++
	}
	if i >= len(args) {
		return args, nil
	}
	cmd := app.Command(args[i])
	if cmd == nil {
		return args, nil
	}
	own := flagTable(cmd.Flags, cli.HelpFlag)
	var moved, flags, rest []string
	dashes, help := false, false
	for j := i + 1; j < len(args); j++ {
		a := args[j]
		switch {
		case dashes || !isFlag(a):
			rest = append(rest, a)
			continue
		case a == "--":
			dashes = true
			continue
		}
		name, inline := flagName(a)
		help = help || name == "help" || name == "h"
		takesValue, ownFlag := own[name]
		globalValue, globalFlag := global[name]
		into := &flags
		if !ownFlag && globalFlag {
			into, takesValue = &moved, globalValue
		}
		*into = append(*into, a)
		switch {
		case !takesValue || inline:
		case j+1 < len(args):
			j++
			*into = append(*into, args[j])
		case into == &moved:
			// Moved before the command, it would take the command as
			// its value. (The command's parser reports its own.)
			return nil, fmt.Errorf("flag needs an argument: -%s (see %s --help)", name, app.Name)
		}
	}
	out := append(append([]string{}, args[:i]...), moved...)
	if help {
		// The help of the command; urfave/cli would take an argument
		// for the name of a subcommand to show the help of.
		return append(out, args[i], "--help"), nil
	}
	out = append(append(out, args[i]), flags...)
	if dashes {
		out = append(out, "--")
	}
	return append(out, rest...), nil
}

// flagTable maps every name of flags to whether the flag takes a value.
func flagTable(flags []cli.Flag, more ...cli.Flag) map[string]bool {
	t := map[string]bool{}
	for _, f := range append(append([]cli.Flag{}, flags...), more...) {
		takes := true
		if v, ok := f.(interface{ TakesValue() bool }); ok {
			takes = v.TakesValue()
		}
		for _, n := range f.Names() {
			t[n] = takes
		}
	}
	return t
}

// isFlag reports whether a looks like a flag to Go's flag package ("-" alone
// is an argument).
func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' }

// flagName is the name of the flag a, and whether a holds its value
// ("--name=value").
func flagName(a string) (name string, inline bool) {
	name = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	if k, _, ok := strings.Cut(name, "="); ok {
		return k, true
	}
	return name, false
}
