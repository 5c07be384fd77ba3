package views_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/views"
)

// TestViewsShareAConsumer: the rooms and users views reading through one
// consumer (WithConsumer) each recover their table, follow rows written
// after they were ready, stop cleanly, and leave the consumer to its
// owner: it still consumes after both views returned from Run.
func TestViewsShareAConsumer(t *testing.T) {
	kcfg := testenv.Kafka(t, 2)
	produce(t, kcfg, event(codec.Join, "alpha", "alice", "s1", ""))
	testenv.RunProcessors(t, kcfg, t.TempDir(), testenv.WithGroups("rooms", "users"), testenv.WithGokaLogger(testenv.GokaLogger{T: t}))

	shared, err := sarama.NewConsumer(kcfg.Brokers, kcfg.SaramaBulk("test-views"))
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	dir := t.TempDir()
	rooms, err := views.NewRooms(kcfg, dir, views.WithConsumer(shared))
	if err != nil {
		t.Fatal(err)
	}
	users, err := views.NewUsers(kcfg, dir, views.WithConsumer(shared))
	if err != nil {
		t.Fatal(err)
	}
	stopRooms, stopUsers := runView(t, rooms), runView(t, users)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, ready := range []func(context.Context) error{rooms.WaitReady, users.WaitReady} {
		if err := ready(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The row of the join before the views ran, and of one after.
	produce(t, kcfg, event(codec.Join, "alpha", "bob", "s2", ""))
	testenv.WaitFor(t, 30*time.Second, func() error {
		r, err := rooms.Get("alpha")
		if err != nil {
			return err
		}
		if r == nil || len(r.Members) != 2 || r.Members["alice"] == nil || r.Members["bob"] == nil {
			return fmt.Errorf("rooms view: alpha is %+v, want alice and bob", r)
		}
		for _, name := range []string{"alice", "bob"} {
			u, err := users.Get(name)
			if err != nil {
				return err
			}
			if u == nil || u.Rooms["alpha"] == nil || len(u.Rooms["alpha"].Sessions) != 1 {
				return fmt.Errorf("users view: %s is %+v, want one session in alpha", name, u)
			}
		}
		return nil
	})
	if err := stopRooms(); err != nil {
		t.Fatalf("rooms view: %v", err)
	}
	if err := stopUsers(); err != nil {
		t.Fatalf("users view: %v", err)
	}
	// The views did not close what they did not make.
	pc, err := shared.ConsumePartition(string(kcfg.Names.RoomsTable()), 0, sarama.OffsetOldest)
	if err != nil {
		t.Fatalf("the shared consumer after the views stopped: %v", err)
	}
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
}
