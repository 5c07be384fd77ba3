package processors_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/views"
)

func TestProcessorsOnBroker(t *testing.T) {
	cfg := testenv.Kafka(t, 4)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rooms, err := processors.NewRooms(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	users, err := processors.NewUsers(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 3)
	go func() { done <- rooms.Run(ctx) }()
	go func() { done <- users.Run(ctx) }()
	rv, err := views.NewRooms(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- rv.Run(ctx) }()
	start := time.Now()
	p := testenv.Producer(t, cfg.Brokers, cfg.Sarama("test"))
	send := func(e codec.Event) {
		b, _ := json.Marshal(&e)
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: string(cfg.Names.Events), Key: sarama.StringEncoder(e.Room), Value: sarama.ByteEncoder(b)}); err != nil {
			t.Fatal(err)
		}
	}
	j := codec.NewEvent(codec.Join, "lobby", "alice")
	j.Session = "s1"
	send(j)
	for i := 0; i < 5; i++ {
		m := codec.NewEvent(codec.Message, "lobby", "alice")
		m.Text = fmt.Sprint("hi ", i)
		send(m)
	}
	testenv.WaitFor(t, 60*time.Second, func() error {
		r, err := rv.Get("lobby")
		if err != nil {
			return err
		}
		if r == nil || r.Messages != 5 {
			return fmt.Errorf("room %+v", r)
		}
		return nil
	})
	t.Logf("state after %v", time.Since(start))
	cancel()
	for i := 0; i < 3; i++ {
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}
}
