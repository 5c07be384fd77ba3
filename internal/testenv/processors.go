package testenv

import (
	"context"
	"sync"
	"testing"

	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
	"github.com/lovoo/goka"
)

// RunProcessors runs the rooms, users and servers processors in this
// process, with their tables under dir, until stop is called or the test ends. A processor
// that fails fails the test at stop.
func RunProcessors(t testing.TB, cfg kafka.Config, dir string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 3)
	for _, mk := range []func(kafka.Config, string, ...goka.ProcessorOption) (*goka.Processor, error){processors.NewRooms, processors.NewUsers, processors.NewServers} {
		p, err := mk(cfg, dir)
		if err != nil {
			t.Fatal(err)
		}
		go func() { done <- p.Run(ctx) }()
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			for range 3 {
				if err := <-done; err != nil {
					t.Errorf("processor: %v", err)
				}
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
