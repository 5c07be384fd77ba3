package processors

import (
	"context"
	"log/slog"
	"time"

	"github.com/lovoo/goka"
)

// Supervise runs the processor that build returns until ctx is done. When the
// processor fails (goka stops a processor on losing Kafka, on a rebalance
// error, …), it is built anew and started again after a backoff that grows
// from one second to maxBackoff, so that a worker outlives a broker outage.
// It returns nil once ctx is done, or the error of build if the very first
// build fails (a configuration error, not an outage).
func Supervise(ctx context.Context, name string, log *slog.Logger, build func() (*goka.Processor, error)) error {
	const maxBackoff = 10 * time.Second
	backoff := time.Second
	first := true
	for {
		p, err := build()
		if err != nil && first {
			return err
		}
		first = false
		if err == nil {
			started := time.Now()
			err = p.Run(ctx)
			if ctx.Err() != nil {
				return nil
			}
			if time.Since(started) > time.Minute {
				backoff = time.Second // it ran well for a while: start over
			}
		}
		log.Warn("processor stopped; starting it again", "group", name, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}
