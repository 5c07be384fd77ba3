package views_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/views"
)

// fillRooms writes rows for the rooms straight to the rooms table topic, as
// the rooms processor would, keyed so that each lands in its room's
// partition; room i has i%3 members and i%7 messages.
func fillRooms(tb testing.TB, kcfg kafka.Config, rooms []string) {
	tb.Helper()
	prod := testenv.Producer(tb, kcfg.Brokers, kcfg.Sarama("test-table-writer"))
	msgs := make([]*sarama.ProducerMessage, 0, 5000)
	send := func() {
		if err := prod.SendMessages(msgs); err != nil {
			tb.Fatal(err)
		}
		msgs = msgs[:0]
	}
	for i, room := range rooms {
		row := &codec.RoomState{V: 1, Room: room, Cursor: int64(i), Members: map[string]map[string]string{},
			Messages: int64(i % 7), Created: "2026-01-02T03:04:05.678Z", Updated: "2026-01-02T03:04:05.678Z"}
		for m := range i % 3 {
			row.Members[fmt.Sprintf("user%d", m)] = map[string]string{fmt.Sprintf("s%d", i): "srv"}
		}
		v, err := codec.RoomCodec{}.Encode(row)
		if err != nil {
			tb.Fatal(err)
		}
		msgs = append(msgs, &sarama.ProducerMessage{Topic: string(kcfg.Names.RoomsTable()),
			Key: sarama.StringEncoder(room), Value: sarama.ByteEncoder(v)})
		if len(msgs) == cap(msgs) {
			send()
		}
	}
	if len(msgs) > 0 {
		send()
	}
}

// readyRooms starts a view of the rooms table and waits until it holds n
// rows.
func readyRooms(tb testing.TB, kcfg kafka.Config, n int) *views.Rooms {
	tb.Helper()
	v, err := views.NewRooms(kcfg, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	runView(tb, v)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		tb.Fatal(err)
	}
	testenv.WaitFor(tb, 120*time.Second, func() error {
		rows, err := v.ListByScan("", 0, nil)
		if err != nil {
			return err
		}
		if len(rows) != n {
			return fmt.Errorf("the view holds %d rows, want %d", len(rows), n)
		}
		return nil
	})
	return v
}

// randomName is a name of 1 to 5 letters of a small alphabet, so that
// random prefixes match many names, few or none.
func randomName(r *rand.Rand) string {
	const alphabet = "abc0_"
	b := []byte{"abc"[r.IntN(3)]}
	for range r.IntN(5) {
		b = append(b, alphabet[r.IntN(len(alphabet))])
	}
	return string(b)
}

// TestListPagesAsTheFullScan: on a table of rooms spread over four
// partitions, List answers every one of many random prefix, limit and keep
// combinations with exactly the rows, in exactly the order and encoding, of
// the full scan that sorts every kept row and cuts at the limit. Version
// stays while nothing is applied, and moves when a row is.
func TestListPagesAsTheFullScan(t *testing.T) {
	kcfg := testenv.Kafka(t, 4)
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	var rooms []string
	for len(rooms) < 600 {
		name := randomName(r)
		if !seen[name] {
			seen[name] = true
			rooms = append(rooms, name)
		}
	}
	fillRooms(t, kcfg, rooms)
	v := readyRooms(t, kcfg, len(rooms))

	keeps := []struct {
		name string
		fn   func(*codec.RoomState) bool
	}{
		{"all", nil},
		{"with members", func(r *codec.RoomState) bool { return len(r.Members) > 0 }},
		{"none", func(*codec.RoomState) bool { return false }},
	}
	for i := range 500 {
		prefix := ""
		if i%10 != 0 {
			// Mostly one or two letters (many rooms), sometimes a whole
			// name (one room or none).
			prefix = randomName(r)
			if r.IntN(4) != 0 {
				prefix = prefix[:min(len(prefix), 1+r.IntN(2))]
			}
		}
		limit := []int{0, 1, 2, 5, 17, 100, 1000}[r.IntN(7)]
		keep := keeps[r.IntN(len(keeps))]
		got, err := v.List(prefix, limit, keep.fn)
		if err != nil {
			t.Fatal(err)
		}
		want, err := v.ListByScan(prefix, limit, keep.fn)
		if err != nil {
			t.Fatal(err)
		}
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want)
		if !reflect.DeepEqual(got, want) || string(gotJSON) != string(wantJSON) {
			t.Fatalf("List(%q, %d, %s):\n%s\nwant\n%s", prefix, limit, keep.name, gotJSON, wantJSON)
		}
	}
	// A prefix no room has answers an empty list, not a nil one.
	if got, err := v.List("zz", 10, nil); err != nil || got == nil || len(got) != 0 {
		t.Errorf("List of an unused prefix: %#v, %v; want an empty list", got, err)
	}

	// The version stays while nothing is applied and moves with a row.
	before, err := v.Version()
	if err != nil {
		t.Fatal(err)
	}
	if again, err := v.Version(); again != before || err != nil {
		t.Fatalf("Version again: %q, %v; want %q", again, err, before)
	}
	fillRooms(t, kcfg, []string{"zz"})
	testenv.WaitFor(t, 30*time.Second, func() error {
		rows, err := v.List("zz", 0, nil)
		if err != nil || len(rows) != 1 {
			return fmt.Errorf("zz: %d rows, %v", len(rows), err)
		}
		return nil
	})
	if after, err := v.Version(); after == before || err != nil {
		t.Errorf("Version after a new row: %q, %v; want other than %q", after, err, before)
	}
}

// BenchmarkList reads a page of 100 rooms of 100,000, by the full scan
// List used to do and by the range iteration it does now, with no prefix
// and with a prefix that 10,000 rooms share.
func BenchmarkList(b *testing.B) {
	kcfg := testenv.Kafka(b, 8)
	rooms := make([]string, 100000)
	for i := range rooms {
		rooms[i] = fmt.Sprintf("room%05d", i)
	}
	fillRooms(b, kcfg, rooms)
	v := readyRooms(b, kcfg, len(rooms))
	for _, prefix := range []string{"", "room3"} {
		for _, m := range []struct {
			name string
			list func(string, int, func(*codec.RoomState) bool) ([]*codec.RoomState, error)
		}{{"scan", v.ListByScan}, {"range", v.List}} {
			b.Run(fmt.Sprintf("prefix=%q/%s", prefix, m.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					rows, err := m.list(prefix, 100, nil)
					if err != nil || len(rows) != 100 {
						b.Fatalf("%d rows, %v", len(rows), err)
					}
				}
			})
		}
	}
}
