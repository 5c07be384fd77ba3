package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestRunJoinsEveryPartsError holds Run's promise on the list it returns
// from: every part's error is kept, not only the first, and a part that
// ended because the server stopped adds none.
func TestRunJoinsEveryPartsError(t *testing.T) {
	var l errorList
	if err := l.joined(); err != nil {
		t.Fatalf("empty list joined to %v", err)
	}
	tail := errors.New("tail: partition reader lost")
	view := errors.New("rooms view: table recovery failed")
	for _, err := range []error{nil, context.Canceled, fmt.Errorf("beats: %w", context.Canceled)} {
		if got := l.add(err); got != err {
			t.Fatalf("add(%v) returned %v", err, got)
		}
	}
	if err := l.joined(); err != nil {
		t.Fatalf("cancellations joined to %v", err)
	}
	// add hands the error back for errgroup, which then cancels the rest.
	if got := l.add(tail); got != tail {
		t.Fatalf("add returned %v", got)
	}
	l.add(context.Canceled)
	l.add(view)
	err := l.joined()
	if !errors.Is(err, tail) || !errors.Is(err, view) {
		t.Fatalf("joined %v, want both parts' errors", err)
	}
	if errors.Is(err, context.Canceled) {
		t.Fatalf("joined %v holds a cancellation", err)
	}
	if want := tail.Error() + "\n" + view.Error(); err.Error() != want {
		t.Fatalf("joined %q, want %q", err.Error(), want)
	}
}
