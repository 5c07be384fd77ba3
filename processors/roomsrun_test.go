package processors_test

import (
	"context"
	"testing"

	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/views"
)

// runRoomsWithView runs the rooms group and a view of its table on cfg,
// keeping state under dir, and returns the view. stop ends both and
// fails t with what either returned; it waits for both.
func runRoomsWithView(t *testing.T, cfg kafka.Config, dir string) (rv *views.Rooms, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rooms, err := processors.NewRooms(cfg, dir)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() { done <- rooms.Run(ctx) }()
	if rv, err = views.NewRooms(cfg, dir); err != nil {
		cancel()
		<-done
		t.Fatal(err)
	}
	go func() { done <- rv.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(stop)
	return rv, stop
}
