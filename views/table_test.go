package views_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/views"
)

// written is one event the test wrote, with the offset Kafka gave it.
type written struct {
	ev     codec.Event
	offset int64
}

// produce writes the events to the events topic, keyed by room, and returns
// them with their offsets.
func produce(t *testing.T, kcfg kafka.Config, evs ...codec.Event) []written {
	t.Helper()
	prod := testenv.Producer(t, kcfg.Brokers, kcfg.Sarama("test-writer"))
	out := make([]written, 0, len(evs))
	for _, e := range evs {
		v, err := codec.EventCodec{}.Encode(&e)
		if err != nil {
			t.Fatal(err)
		}
		_, off, err := prod.SendMessage(&sarama.ProducerMessage{Topic: string(kcfg.Names.Events), Key: sarama.StringEncoder(e.Room), Value: sarama.ByteEncoder(v)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, written{e, off})
	}
	return out
}

// fold is the row of each room that the rooms processor must hold after
// the events: the pure fold, applied in offset order.
func fold(ws []written) map[string]*codec.RoomState {
	rows := map[string]*codec.RoomState{}
	for _, w := range ws {
		rows[w.ev.Room], _, _ = processors.ApplyRoom(rows[w.ev.Room], &w.ev, w.offset)
	}
	return rows
}

func event(typ codec.EventType, room, user, session, text string) codec.Event {
	e := codec.NewEvent(typ, room, user)
	e.Session, e.Server, e.Text = session, "srv", text
	return e
}

// TestRoomsViewReadsTheTable: after the rooms processor folded events of
// two rooms, a view of the rooms table becomes ready, Get returns each row
// exactly as the pure fold computes it (nil for a room that has none), List
// returns them sorted by key, Offsets reaches the table topic's end, and
// the change callback saw both keys. Before Run and after it, reads fail
// with ErrNotReady.
func TestRoomsViewReadsTheTable(t *testing.T) {
	kcfg := testenv.Kafka(t, 2)
	if kafka.Partition("alpha", 2) == kafka.Partition("gamma", 2) {
		t.Fatal("alpha and gamma share a partition; pick rooms on both")
	}
	ws := produce(t, kcfg,
		event(codec.Join, "alpha", "alice", "s1", ""),
		event(codec.Message, "alpha", "alice", "s1", "one"),
		event(codec.Join, "gamma", "bob", "s2", ""),
		event(codec.Message, "alpha", "alice", "s1", "two"),
		event(codec.Leave, "gamma", "bob", "s2", ""),
	)
	want := fold(ws)
	testenv.RunProcessors(t, kcfg, t.TempDir(), testenv.WithGroups("rooms"), testenv.WithGokaLogger(testenv.GokaLogger{T: t}))

	var mu sync.Mutex
	changed := map[string]bool{}
	v, err := views.NewRooms(kcfg, t.TempDir(), views.WithOnChange(func(key string) {
		mu.Lock()
		defer mu.Unlock()
		changed[key] = true
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Get("alpha"); !errors.Is(err, views.ErrNotReady) {
		t.Fatalf("Get before Run: %v, want ErrNotReady", err)
	}
	if v.Ready() {
		t.Fatal("ready before Run")
	}
	if _, err := v.Offsets(2); err == nil {
		t.Fatal("Offsets before Run: no error")
	}
	stop := runView(t, v)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := v.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}

	// The processor may still be folding: wait for the last row, then
	// compare every row exactly.
	testenv.WaitFor(t, 30*time.Second, func() error {
		for room, w := range want {
			got, err := v.Get(room)
			if err != nil {
				return err
			}
			if got == nil || got.Cursor != w.Cursor {
				return fmt.Errorf("%s: row %+v, want cursor %d", room, got, w.Cursor)
			}
		}
		return nil
	})
	for room, w := range want {
		got, err := v.Get(room)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s: row\n%+v\nwant\n%+v", room, got, w)
		}
	}
	if got, err := v.Get("nobody"); got != nil || err != nil {
		t.Errorf("Get of a room without a row: %+v, %v; want nil, nil", got, err)
	}
	rows, err := v.List("", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Room != "alpha" || rows[1].Room != "gamma" {
		t.Errorf("List: %+v, want alpha then gamma", rows)
	}
	if rows, err := v.List("al", 0, nil); err != nil || len(rows) != 1 || rows[0].Room != "alpha" {
		t.Errorf("List with prefix al: %+v, %v; want alpha", rows, err)
	}
	if rows, err := v.List("", 1, nil); err != nil || len(rows) != 1 || rows[0].Room != "alpha" {
		t.Errorf("List with limit 1: %+v, %v; want alpha", rows, err)
	}
	if rows, err := v.List("", 0, func(r *codec.RoomState) bool { return len(r.Members) > 0 }); err != nil || len(rows) != 1 || rows[0].Room != "alpha" {
		t.Errorf("List of rooms with members: %+v, %v; want alpha", rows, err)
	}

	// Every row is in: the view's offsets are the table topic's last ones.
	client := testenv.KafkaClient(t, kcfg.Brokers, kcfg.Sarama("test-offsets"))
	last := make([]int64, 2)
	for p := range int32(2) {
		end, err := client.GetOffset(string(kcfg.Names.RoomsTable()), p, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		if end == 0 {
			t.Fatalf("table partition %d is empty", p)
		}
		last[p] = end - 1
	}
	testenv.WaitFor(t, 10*time.Second, func() error {
		got, err := v.Offsets(2)
		if err != nil {
			return err
		}
		if !slices.Equal(got, last) {
			return fmt.Errorf("offsets %v, want %v", got, last)
		}
		return nil
	})
	mu.Lock()
	if !changed["alpha"] || !changed["gamma"] || len(changed) != 2 {
		t.Errorf("change callback saw %v, want alpha and gamma", changed)
	}
	mu.Unlock()

	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if v.Ready() {
		t.Error("ready after Run returned")
	}
	if _, err := v.Get("alpha"); !errors.Is(err, views.ErrNotReady) {
		t.Errorf("Get after Run: %v, want ErrNotReady", err)
	}
}
