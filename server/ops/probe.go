package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// ProbeKafka checks every second whether any of brokers accepts a TCP
// connection, and reports the answer to report: "" while one does, else
// why not; it logs when Kafka is lost and when it is back. It runs on the
// caller's goroutine until ctx is done. A view notices an outage only when
// it next reads; the probe names the cause at once. A refused connection
// says so at once; a dial that times out counts from the second round in a
// row, since a loaded host or broker can leave one connection unanswered
// for a second without being gone.
func ProbeKafka(ctx context.Context, brokers []string, log *slog.Logger, report func(down string)) {
	was := ""
	timeouts := 0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		var last error
		for _, addr := range brokers {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				last = nil
				break
			}
			last = err
		}
		var ne net.Error
		if last != nil && errors.As(last, &ne) && ne.Timeout() {
			if timeouts++; timeouts < 2 {
				last = nil
			}
		} else {
			timeouts = 0
		}
		if last != nil {
			down := fmt.Sprintf("kafka not reachable: %v", last)
			report(down)
			if was == "" {
				log.Warn("kafka lost", "brokers", brokers, "err", last)
			}
			was = down
		} else if timeouts == 0 {
			report("")
			if was != "" {
				log.Info("kafka back", "brokers", brokers)
			}
			was = ""
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
