package processors_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
)

// TestRuleBreakingRecordsOnBroker writes, with a plain producer, records
// that decode and validate but break the room's rules at their cursor: each
// goes to the dead letters with its reason, and changes nothing of the row
// but its cursor.
func TestRuleBreakingRecordsOnBroker(t *testing.T) {
	cfg := testenv.Kafka(t, 2)
	rv, stop := runRoomsWithView(t, cfg, t.TempDir())

	p := testenv.Producer(t, cfg.Brokers, cfg.Sarama("test"))
	write := func(e codec.Event) {
		t.Helper()
		b, _ := json.Marshal(&e)
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: string(cfg.Names.Events), Key: sarama.StringEncoder(e.Room), Value: sarama.ByteEncoder(b)}); err != nil {
			t.Fatal(err)
		}
	}
	ev := func(typ codec.EventType, user, target string) codec.Event {
		e := codec.NewEvent(typ, "ruled", user)
		e.Target = target
		if typ == codec.Join {
			e.Session, e.Server = user+"-s", "srv"
		}
		return e
	}
	write(ev(codec.Join, "alice", ""))
	write(ev(codec.Join, "bob", ""))
	private := true
	settings := ev(codec.Settings, "bob", "") // not the owner
	settings.Private = &private
	write(settings)
	write(ev(codec.Kick, "bob", "alice")) // not a moderator
	ban := ev(codec.Ban, "alice", "bob")
	ban.On = true
	write(ban)
	write(ev(codec.Join, "bob", "")) // banned
	last := ev(codec.Message, "alice", "")
	last.Text = "done"
	write(last)

	var row *codec.RoomState
	testenv.WaitFor(t, 30*time.Second, func() error {
		var err error
		if row, err = rv.Get("ruled"); err != nil {
			return err
		}
		if row == nil || row.Messages != 1 {
			return fmt.Errorf("room %+v, want the last message folded", row)
		}
		return nil
	})
	if row.Owner != "alice" || row.Private || !reflect.DeepEqual(row.Banned, []string{"bob"}) ||
		!reflect.DeepEqual(row.MemberList(), []codec.Member{{User: "alice", Sessions: 1}}) {
		t.Fatalf("row %+v", row)
	}

	consumer, err := sarama.NewConsumer(cfg.Brokers, cfg.Sarama("test-dl"))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	var reasons []string
	for part := range int32(cfg.Partitions) {
		pc, err := consumer.ConsumePartition(string(cfg.Names.DeadLetter), part, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		for hwm := pc.HighWaterMarkOffset(); hwm > 0; {
			m := <-pc.Messages()
			d, err := codec.DeadLetterCodec{}.Decode(m.Value)
			if err != nil {
				t.Fatal(err)
			}
			reasons = append(reasons, d.(*codec.DeadLetter).Reason)
			if m.Offset >= hwm-1 {
				break
			}
		}
		_ = pc.Close()
	}
	slices.Sort(reasons)
	want := []string{
		"refused by the room's rules: bob is banned from room ruled",
		"refused by the room's rules: only the owner and moderators of room ruled may kick",
		"refused by the room's rules: only the owner of room ruled may change its settings",
	}
	if !reflect.DeepEqual(reasons, want) {
		t.Fatalf("dead letters:\n%s\nwant\n%s", strings.Join(reasons, "\n"), strings.Join(want, "\n"))
	}
	stop()
}
