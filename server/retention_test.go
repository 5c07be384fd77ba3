package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server"
)

// TestRetentionAheadOfTail: retention deletes records of the events topic
// that the tail has not read yet (here between New, which fixes where the
// tail starts, and Run). The server does not stop: it reads on from what
// is left, counts and logs the offsets its clients missed, and delivers
// the events written afterwards.
func TestRetentionAheadOfTail(t *testing.T) {
	t.Parallel()
	kcfg := testenv.Kafka(t, 2)
	dir := t.TempDir()
	runProcessors(t, kcfg, dir)
	srv, err := server.New(server.Config{ServerID: "s1"}, kcfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	topic := string(kcfg.Names.Events)
	p := kafka.Partition("kept", kcfg.Partitions)

	// Records the processors dead-letter, in the partition of the room the
	// test uses, then deleted as retention would once the processors have
	// passed them.
	prod := testenv.Producer(t, kcfg.Brokers, kcfg.Sarama("test-writer"))
	for range 5 {
		if _, _, err := prod.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder("kept"), Value: sarama.StringEncoder("garbage")}); err != nil {
			t.Fatal(err)
		}
	}
	client := testenv.KafkaClient(t, kcfg.Brokers, kcfg.Sarama("test-admin"))
	end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
	if err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 30*time.Second, func() error {
		c, err := kafka.CommittedOffsets(client, string(kcfg.Names.RoomsGroup), topic, kcfg.Partitions)
		if err != nil || c[p] < end {
			return fmt.Errorf("rooms processors committed %v (%v), want %d on partition %d", c, err, end, p)
		}
		return nil
	})
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.DeleteRecords(topic, map[int32]int64{p: end}); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	}()
	testenv.WaitFor(t, 30*time.Second, func() error {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("the server stopped: %v", err)
		default:
		}
		if !srv.Ready() {
			return fmt.Errorf("server not ready")
		}
		return nil
	})

	alice := testenv.Dial(t, hs.URL, "alice")
	alice.Send(frame{"op": "join", "room": "kept"})
	alice.Expect("snapshot", nil)
	alice.ExpectEvent("kept", "join", "alice")
	alice.Send(frame{"op": "send", "room": "kept", "text": "still here", "ref": 1})
	alice.AckAndEcho(1)

	resp, err := http.Get(hs.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf("\nchatstate_tail_skipped_offsets_total %d\n", end); !strings.Contains(string(b), want) {
		t.Fatalf("metrics do not count the %d offsets the tail skipped", end)
	}
}
