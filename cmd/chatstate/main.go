// Command chatstate runs the chatstate chat backend: the embedded broker, the
// goka processors, the WebSocket and HTTP server, and the operator queries.
// Run `chatstate --help` for the commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signalContext()
	err := run(ctx, os.Args)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatstate:", oneLine(err))
		os.Exit(1)
	}
}

// signalContext returns a context that SIGINT or SIGTERM cancels with an
// interruption naming the signal as its cause (context.Cause), and the
// function that stops listening for them. Each command stops on it in its
// own way: the workers cleanly, with exit 0; a one-shot command at once,
// with the interruption as its reason (oneShot).
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case s := <-ch:
			cancel(interruption{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
		<-done
	}
}

// interruption is the cause of a command's context that a signal ended.
type interruption struct{ sig os.Signal }

func (i interruption) Error() string {
	name := i.sig.String()
	switch i.sig {
	case os.Interrupt:
		name = "SIGINT"
	case syscall.SIGTERM:
		name = "SIGTERM"
	}
	return "interrupted by " + name
}
