package views_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/views"
)

// runView runs v until the returned stop is called or the test ends; stop
// returns Run's error.
func runView[T any](t testing.TB, v *views.Table[T]) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				err = errors.New("Run did not return within 30s of its context's end")
			}
		})
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("view: %v", err)
		}
	})
	return stop
}

// TestRunTwice: Run refuses a second call with ErrRunTwice, both while the
// first runs and after it returned, and the refused call leaves the running
// view serving.
func TestRunTwice(t *testing.T) {
	kcfg := testenv.Kafka(t, 1)
	v, err := views.NewUsers(kcfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	stop := runView(t, v)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if err := v.Run(context.Background()); !errors.Is(err, views.ErrRunTwice) {
		t.Fatalf("second Run while running: %v, want ErrRunTwice", err)
	}
	if !v.Ready() {
		t.Fatal("the refused Run stopped the view")
	}
	if row, err := v.Get("nobody"); row != nil || err != nil {
		t.Fatalf("Get after the refused Run: %+v, %v", row, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("first Run: %v", err)
	}
	if err := v.Run(context.Background()); !errors.Is(err, views.ErrRunTwice) {
		t.Fatalf("Run after the first returned: %v, want ErrRunTwice", err)
	}
}
