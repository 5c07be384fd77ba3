package logread_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/logread"
)

// TestScanRetentionUnderScan: retention deletes records ahead of a running
// scan. The scan passes over them, reads what is left, and its start says
// where the log now begins; no goroutine outlives it, and a scan whose
// context ends returns an error wrapping ErrUnavailable.
func TestScanRetentionUnderScan(t *testing.T) {
	kcfg := testenv.Kafka(t, 1)
	write(t, kcfg, "r", 40)
	// One record per fetch and a channel of one: the scan fetches only a
	// few records ahead of fn.
	sc := kcfg.Sarama("test-reader")
	sc.Consumer.MaxWaitTime = 5 * time.Millisecond
	sc.ChannelBufferSize = 1
	sc.Consumer.Fetch.Default = 64
	client, err := sarama.NewClient(kcfg.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	r := logread.New(client, kcfg)
	if _, _, err := r.Bounds("r"); err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()

	var got []int64
	start, last, err := r.Scan(context.Background(), "r", 0, 100, func(e logread.Entry) bool {
		if e.Cursor == 0 {
			admin, err := sarama.NewClusterAdmin(kcfg.Brokers, kcfg.Sarama("test-admin"))
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			if err := admin.DeleteRecords(string(kcfg.Names.Events), map[int32]int64{0: 30}); err != nil {
				t.Fatal(err)
			}
		}
		got = append(got, e.Cursor)
		return true
	})
	if err != nil || start != 30 || last != 39 {
		t.Fatalf("scan: start %d, last %d, %v; got %v", start, last, err, got)
	}
	for i, c := range got {
		if i > 0 && c <= got[i-1] || c > 0 && c < 30 && c != got[i-1]+1 {
			t.Fatalf("cursors out of order or with a gap before the cut: %v", got)
		}
	}
	if got[len(got)-1] != 39 || len(got) < 11 {
		t.Fatalf("got %v, want the records fetched before the cut, then 30..39", got)
	}
	t.Logf("the scan got %v", got)

	ctx, cancel := context.WithCancel(context.Background())
	_, _, err = r.Scan(ctx, "r", 30, 39, func(e logread.Entry) bool {
		if e.Cursor == 39 {
			cancel()
		}
		return true
	})
	if err != nil {
		t.Fatalf("a scan whose fn cancels after its last event: %v", err)
	}
	_, _, err = r.Scan(ctx, "r", 30, 39, func(logread.Entry) bool { return true })
	if !errors.Is(err, logread.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("a scan with an ended context: %v, want ErrUnavailable and Canceled", err)
	}
	testenv.WaitFor(t, 5*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > base {
			return fmt.Errorf("%d goroutines, %d before the scans", n, base)
		}
		return nil
	})
}
