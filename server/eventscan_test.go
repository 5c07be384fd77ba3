package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server"
)

// TestEventsScanIsBounded: one request of GET /api/rooms/{room}/events
// examines at most 50,000 offsets of the room's partition. A quiet room
// whose only event follows 50,000 of another room's in its partition
// answers an empty page whose next is the last offset examined, 49,999,
// and the page from there finds the event.
func TestEventsScanIsBounded(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	const partitions, scanLimit = 4, 50000
	quiet, noise := "quiet", ""
	for i := 0; noise == ""; i++ {
		if name := fmt.Sprint("noise", i); kafka.Partition(name, partitions) == kafka.Partition(quiet, partitions) {
			noise = name
		}
	}
	topic := string(s.kcfg.Names.Events)
	p := testenv.Producer(t, s.kcfg.Brokers, s.kcfg.Sarama("test"))
	for sent := 0; sent < scanLimit; {
		batch := make([]*sarama.ProducerMessage, 0, 5000)
		for ; len(batch) < cap(batch) && sent < scanLimit; sent++ {
			e := codec.NewEvent(codec.Message, noise, "bot")
			e.Text = fmt.Sprint("noise ", sent)
			b, err := codec.EventCodec{}.Encode(&e)
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(noise), Value: sarama.ByteEncoder(b)})
		}
		if err := p.SendMessages(batch); err != nil {
			t.Fatal(err)
		}
	}
	e := codec.NewEvent(codec.Message, quiet, "bot")
	e.Text = "at last"
	produce(t, s.kcfg, topic, quiet, &e)
	testenv.WaitFor(t, 60*time.Second, func() error {
		var room map[string]any
		if st := getJSON(t, s.http.URL+"/api/rooms/"+quiet, &room); st != 200 || room["messages"] != 1.0 {
			return fmt.Errorf("room %s: %d %v", quiet, st, room)
		}
		return nil
	})
	var page struct {
		Events []struct {
			Cursor float64
		}
		Next      float64
		Truncated bool
	}
	if st := getJSON(t, s.http.URL+"/api/rooms/"+quiet+"/events", &page); st != 200 || len(page.Events) != 0 || page.Next != scanLimit-1 || page.Truncated {
		t.Fatalf("first page: %d %+v, want no events and next %d", st, page, scanLimit-1)
	}
	if st := getJSON(t, fmt.Sprintf("%s/api/rooms/%s/events?after=%d", s.http.URL, quiet, int64(page.Next)), &page); st != 200 || len(page.Events) != 1 || page.Events[0].Cursor != scanLimit {
		t.Fatalf("second page: %d %+v, want the event at %d", st, page, scanLimit)
	}
}
