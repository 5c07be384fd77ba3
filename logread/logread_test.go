package logread_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
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
	client := testenv.KafkaClient(t, kcfg.Brokers, sc)
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

// send writes value under key to the events topic and returns its offset.
func send(t *testing.T, prod sarama.SyncProducer, kcfg kafka.Config, key string, value []byte) int64 {
	t.Helper()
	_, off, err := prod.SendMessage(&sarama.ProducerMessage{Topic: string(kcfg.Names.Events), Key: sarama.StringEncoder(key), Value: sarama.ByteEncoder(value)})
	if err != nil {
		t.Fatal(err)
	}
	return off
}

func message(t *testing.T, room, text string) []byte {
	t.Helper()
	e := codec.NewEvent(codec.Message, room, "u")
	e.Session, e.Text = "s", text
	v, err := codec.EventCodec{}.Encode(&e)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// newReader returns a reader on a client of its own that fetches without a
// long poll, as the server's request reader does.
func newReader(t *testing.T, kcfg kafka.Config) *logread.Reader {
	t.Helper()
	sc := kcfg.Sarama("test-reader")
	sc.Consumer.MaxWaitTime = 5 * time.Millisecond
	client := testenv.KafkaClient(t, kcfg.Brokers, sc)
	return logread.New(client, kcfg)
}

// TestScanPage: a scan of a room reads, in cursor order, exactly the valid
// events of that room in the range, passing over other rooms' records, a
// record that does not decode and one whose event names another room under
// the room's key; it stops when fn says so, and clamps the range to the log.
func TestScanPage(t *testing.T) {
	kcfg := testenv.Kafka(t, 1)
	prod := testenv.Producer(t, kcfg.Brokers, kcfg.Sarama("test-writer"))
	var want []int64 // cursors of room r's events
	texts := map[int64]string{}
	for i := range 12 {
		switch i % 4 {
		case 1:
			send(t, prod, kcfg, "other", message(t, "other", "elsewhere"))
		case 2:
			send(t, prod, kcfg, "r", []byte(`{"not":"an event"`))
		default:
			text := fmt.Sprintf("m%d", i)
			c := send(t, prod, kcfg, "r", message(t, "r", text))
			want = append(want, c)
			texts[c] = text
		}
	}
	send(t, prod, kcfg, "r", message(t, "impostor", "under r's key"))
	r := newReader(t, kcfg)
	if start, end, err := r.Bounds("r"); err != nil || start != 0 || end != 13 {
		t.Fatalf("bounds %d, %d, %v; want 0, 13", start, end, err)
	}
	ctx := context.Background()

	scan := func(from, to int64, limit int) (got []int64, start, last int64) {
		t.Helper()
		start, last, err := r.Scan(ctx, "r", from, to, func(e logread.Entry) bool {
			if e.Event.Room != "r" || e.Event.Text != texts[e.Cursor] {
				t.Errorf("entry at %d: %+v, want r's %q", e.Cursor, e.Event, texts[e.Cursor])
			}
			got = append(got, e.Cursor)
			return limit == 0 || len(got) < limit
		})
		if err != nil {
			t.Fatalf("scan [%d, %d]: %v", from, to, err)
		}
		return got, start, last
	}
	for _, tc := range []struct {
		name        string
		from, to    int64
		limit       int
		want        []int64
		start, last int64
	}{
		{"whole log", 0, 100, 0, want, 0, 12},
		{"a middle range", 3, 8, 0, []int64{3, 4, 7, 8}, 0, 8},
		{"a page of three", 0, 100, 3, []int64{0, 3, 4}, 0, 4},
		{"the next page", 5, 100, 3, []int64{7, 8, 11}, 0, 11},
		{"a range of foreign records only", 5, 6, 0, nil, 0, 6},
		{"past the end", 13, 20, 0, nil, 0, 12},
		{"from after to", 8, 3, 0, nil, 0, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, start, last := scan(tc.from, tc.to, tc.limit)
			if !slices.Equal(got, tc.want) || start != tc.start || last != tc.last {
				t.Fatalf("scan [%d, %d] limit %d: %v, start %d, last %d; want %v, start %d, last %d",
					tc.from, tc.to, tc.limit, got, start, last, tc.want, tc.start, tc.last)
			}
		})
	}
}

// TestScanTruncated: after retention deleted the start of the partition, a
// scan from before it reports the first retained offset as its start and
// reads the retained events from there, with no gap; Bounds says the same.
func TestScanTruncated(t *testing.T) {
	kcfg := testenv.Kafka(t, 1)
	write(t, kcfg, "r", 10)
	admin, err := sarama.NewClusterAdmin(kcfg.Brokers, kcfg.Sarama("test-admin"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.DeleteRecords(string(kcfg.Names.Events), map[int32]int64{0: 6}); err != nil {
		t.Fatal(err)
	}
	r := newReader(t, kcfg)
	if start, end, err := r.Bounds("r"); err != nil || start != 6 || end != 10 {
		t.Fatalf("bounds %d, %d, %v; want 6, 10", start, end, err)
	}
	var got []int64
	start, last, err := r.Scan(context.Background(), "r", 2, 100, func(e logread.Entry) bool {
		got = append(got, e.Cursor)
		return true
	})
	if err != nil || start != 6 || last != 9 || !slices.Equal(got, []int64{6, 7, 8, 9}) {
		t.Fatalf("scan from 2: %v, start %d, last %d, %v; want [6 7 8 9], start 6, last 9", got, start, last, err)
	}
	// A range that retention deleted whole reads nothing.
	got = nil
	start, last, err = r.Scan(context.Background(), "r", 0, 4, func(e logread.Entry) bool {
		got = append(got, e.Cursor)
		return true
	})
	if err != nil || start != 6 || last != 5 || got != nil {
		t.Fatalf("scan [0, 4]: %v, start %d, last %d, %v; want nothing, start 6, last 5", got, start, last, err)
	}
}
