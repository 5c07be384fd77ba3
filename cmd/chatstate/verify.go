package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chatstate/chatstate/replay"
	"github.com/urfave/cli/v2"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "fold the whole log and compare it with the tables; exit 1 and list every difference if they differ",
		Description: "Each room is compared at the cursor its row reflects, so verify works against a running system.\n" +
			"Rooms whose early events retention deleted are listed as unverifiable, not as differences.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
			&cli.DurationFlag{Name: "wait", Value: 10 * time.Second, Usage: "how long to wait for the users processors to catch up"},
		},
		Action: func(c *cli.Context) error {
			if err := positive(c, "wait"); err != nil {
				return err
			}
			kcfg, err := oneShotKafka(c)
			if err != nil {
				return err
			}
			pr := new(replay.Progress)
			stop := showProgress(pr)
			step := 250 * time.Millisecond
			rep, err := replay.Verify(c.Context, kcfg, replay.Options{Progress: pr, Wait: step, Retries: max(1, int(c.Duration("wait")/step))})
			stop()
			if err != nil {
				return err
			}
			if c.Bool("json") {
				if err := printJSON(rep); err != nil {
					return err
				}
			} else {
				printReport(os.Stdout, rep, string(kcfg.Names.Events))
			}
			if !rep.OK() {
				return fmt.Errorf("the tables differ from the log in %d %s", len(rep.Differences), plural(len(rep.Differences), "field", "fields"))
			}
			return nil
		},
	}
}

// showProgress shows on standard error, if it is a terminal, how far
// verify has come; the returned function ends it.
func showProgress(pr *replay.Progress) (stop func()) {
	if fi, err := os.Stderr.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				fmt.Fprint(os.Stderr, "\r\033[K")
				return
			case <-tick.C:
				d, t := pr.Done.Load(), pr.Total.Load()
				fmt.Fprintf(os.Stderr, "\r\033[K%s: %d of %d records (%d%%)", pr.Phase(), d, t, d*100/max(t, 1))
			}
		}
	}()
	return func() { cancel(); <-done }
}

func printReport(w io.Writer, rep *replay.Report, events string) {
	fmt.Fprintf(w, "compared %d rooms and %d users with the fold of %d records of %s\n", rep.Rooms, rep.Users, rep.Records, events)
	if rep.Unprocessed > 0 {
		fmt.Fprintf(w, "%d events were not yet processed by the rooms processors; each row was compared at the cursor it reflects\n", rep.Unprocessed)
	}
	if n := len(rep.Unverifiable); n > 0 {
		fmt.Fprintf(w, "%d rooms cannot be verified: retention deleted their early events (partitions' first offsets %v): %s\n",
			n, rep.Truncated, strings.Join(rep.Unverifiable, ", "))
		fmt.Fprintf(w, "%d users were compared without those rooms\n", len(rep.PartialUsers))
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	if rep.OK() {
		fmt.Fprintln(w, "no differences")
		return
	}
	fmt.Fprintf(w, "%d %s:\n", len(rep.Differences), plural(len(rep.Differences), "difference", "differences"))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tKEY\tFIELD\tTABLE VALUE\tLOG VALUE")
	for _, d := range rep.Differences {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Table, d.Key, d.Field, clip(d.InTable), clip(d.InLog))
	}
	_ = tw.Flush()
}

// clip keeps a value readable in a table; --json has it whole.
func clip(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:77]) + "..."
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
