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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatstate:", oneLine(err))
		os.Exit(1)
	}
}
