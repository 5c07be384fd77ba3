package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server"
	"github.com/urfave/cli/v2"
)

// The long-running commands (server, processor) wait at start until Kafka
// is reachable, so that the order in which a deployment starts does not
// matter; the one-shot commands fail at once with the reason.

// kafkaWaitFlag bounds that wait.
func kafkaWaitFlag() cli.Flag {
	return &cli.DurationFlag{Name: "kafka-wait", EnvVars: env("kafka-wait"),
		Usage: "how long to wait at start for Kafka to be reachable before exiting with the reason (0: until stopped)"}
}

// errStopped is returned by waiter.do when the wait ended because the
// command was stopped: nothing had started, nothing needs saying.
var errStopped = errors.New("stopped while waiting for Kafka")

// How waiter.do paces its attempts and its log lines.
const (
	waitFirstBackoff = 250 * time.Millisecond
	waitMaxBackoff   = 5 * time.Second
	waitLogEvery     = 10 * time.Second
)

// waiter retries the steps of a start that need Kafka until they succeed.
// A nil *waiter does not wait: each step is tried once.
type waiter struct {
	kcfg  kafka.Config
	limit time.Duration // --kafka-wait; 0: no limit
	// deadline is the end of the wait, counted from the command's start
	// for all of its steps together; zero: none.
	deadline time.Time
}

// newWaiter returns the waiter of the command's --kafka-wait, refusing a
// negative one.
func newWaiter(c *cli.Context, kcfg kafka.Config) (*waiter, error) {
	w := &waiter{kcfg: kcfg, limit: c.Duration("kafka-wait")}
	if w.limit < 0 {
		return nil, fmt.Errorf("--kafka-wait must be 0 (wait until stopped) or positive, got %v", w.limit)
	}
	if w.limit > 0 {
		w.deadline = time.Now().Add(w.limit)
	}
	return w, nil
}

// do runs try until it returns nil, returns an error that waiting cannot
// mend (permanent), or the wait is over: ctx done (errStopped, also for an
// attempt that failed once ctx was done) or past --kafka-wait (the last
// error). Between attempts it sleeps with
// exponential backoff and jitter, so that a whole deployment started at
// once does not knock on the brokers in step. It logs the first failure
// and then at most every waitLogEvery (every attempt at debug level), and
// a line once connected after a failure; report, unless nil, is told the reason after every failure.
// step names what waits, in the log.
//
// An attempt in progress is not abandoned when ctx is done: each is
// bounded in time by the Kafka client's timeouts (refused at once, seconds
// for a broker that does not answer). The check of the topics, every
// start's first step, ends with ctx (ensureTopics), so that a stop is not
// held by a broker that accepts connections and never answers.
func (w *waiter) do(ctx context.Context, step string, try func() error, report func(reason string)) error {
	if w == nil {
		err := try()
		if err != nil && ctx.Err() != nil {
			return errStopped
		}
		return err
	}
	brokers := strings.Join(w.kcfg.Brokers, ",")
	backoff := waitFirstBackoff
	var failed, logged time.Time
	for attempt := 1; ; attempt++ {
		err := try()
		if err == nil {
			if !failed.IsZero() {
				logger.Info("connected to Kafka", "step", step, "brokers", brokers, "waited", time.Since(failed).Round(100*time.Millisecond))
			}
			return nil
		}
		if ctx.Err() != nil {
			// The attempt ended because of the stop, whatever it says.
			return errStopped
		}
		if w.permanent(err) {
			return err
		}
		now := time.Now()
		if !w.deadline.IsZero() && !now.Before(w.deadline) {
			return fmt.Errorf("gave up waiting for Kafka after --kafka-wait %v: %w", w.limit, err)
		}
		if failed.IsZero() {
			failed = now
		}
		why := oneLine(err)
		if report != nil {
			report("waiting for Kafka at " + brokers + ": " + why)
		}
		logger.Debug("Kafka not reachable", "step", step, "brokers", brokers, "attempt", attempt, "err", why)
		if logged.IsZero() || now.Sub(logged) >= waitLogEvery {
			logger.Warn("waiting for Kafka", "step", step, "brokers", brokers, "waited", now.Sub(failed).Round(time.Second), "err", why)
			logged = now
		}
		sleep := backoff/2 + rand.N(backoff/2+1)
		if !w.deadline.IsZero() {
			sleep = min(sleep, time.Until(w.deadline))
		}
		select {
		case <-ctx.Done():
			return errStopped
		case <-time.After(sleep):
		}
		backoff = min(2*backoff, waitMaxBackoff)
	}
}

// permanent reports whether err of a start's step can never go away by
// waiting: Kafka's verdict (kafka.Config.Permanent), and the server's
// local causes: its configuration, a state directory another server holds
// or that cannot be written.
func (w *waiter) permanent(err error) bool {
	var ce *server.ConfigError
	var pe *fs.PathError
	return w.kcfg.Permanent(err) || errors.Is(err, server.ErrStateInUse) || errors.As(err, &ce) || errors.As(err, &pe)
}

// ensureTopics is kafka.EnsureTopics for a worker's start: its requests end
// when ctx does (kafka.Config.WithContext). Its client is its own, closed
// when it returns, so nothing the worker runs afterwards is tied to ctx:
// a worker's stop still says its goodbyes to the brokers.
func ensureTopics(ctx context.Context, kcfg kafka.Config) error {
	return kafka.EnsureTopicsContext(ctx, kcfg.WithContext(ctx))
}
