package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/api"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
	"github.com/lovoo/goka"
)

// caughtUp waits until the rooms and users groups have committed the end of
// their input.
func caughtUp(t *testing.T, cfg kafka.Config, client sarama.Client) {
	t.Helper()
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 60*time.Second, func() error {
		for group, topic := range map[goka.Group]goka.Stream{cfg.Names.RoomsGroup: cfg.Names.Events, cfg.Names.UsersGroup: cfg.Names.Presence} {
			for p := range int32(cfg.Partitions) {
				end, err := client.GetOffset(string(topic), p, sarama.OffsetNewest)
				if err != nil {
					return err
				}
				resp, err := admin.ListConsumerGroupOffsets(string(group), map[string][]int32{string(topic): {p}})
				if err != nil {
					return err
				}
				if b := resp.GetBlock(string(topic), p); end > 0 && (b == nil || b.Offset < end) {
					return fmt.Errorf("%s behind on %s/%d", group, topic, p)
				}
			}
		}
		return nil
	})
}

// TestReplayVerifyRebuildCommands runs the three commands against a broker
// and processors: replay by cursor, by time and as events; verify on
// consistent tables and after a row is corrupted; rebuild refused while the
// processors run, dry, and for real, after which processors started with
// their old state directory make verify pass again.
func TestReplayVerifyRebuildCommands(t *testing.T) {
	cfg := testenv.Kafka(t, 4)
	dir := t.TempDir()
	stop := testenv.RunProcessors(t, cfg, dir)
	client := testenv.KafkaClient(t, cfg.Brokers, cfg.Sarama("test"))
	prod := testenv.Producer(t, cfg.Brokers, cfg.Sarama("test"))
	t0 := time.Date(2024, 5, 1, 14, 0, 0, 0, time.UTC)
	var cursors []int64
	var states []api.RoomJSON
	var s *codec.RoomState
	epoch, err := kafka.Epoch(client, cfg)
	if err != nil {
		t.Fatal(err)
	}
	write := func(typ codec.EventType, room, user, session string) codec.Event {
		e := codec.NewEvent(typ, room, user)
		e.TS = codec.FormatTime(t0.Add(time.Duration(len(cursors)) * time.Minute))
		switch typ {
		case codec.Message:
			e.Text = "hello"
		case codec.Edit:
			e.ID, e.Text = session, "hello again" // session names the message edited
		default:
			e.Session, e.Server = session, "srv-1"
		}
		b, _ := codec.EventCodec{}.Encode(&e)
		_, off, err := prod.SendMessage(&sarama.ProducerMessage{Topic: string(cfg.Names.Events), Key: sarama.StringEncoder(room), Value: sarama.ByteEncoder(b)})
		if err != nil {
			t.Fatal(err)
		}
		if room == "lobby" {
			s, _, _ = processors.ApplyRoom(s, &e, off)
			cursors = append(cursors, off)
			states = append(states, api.RoomOf(s, epoch))
		}
		return e
	}
	write(codec.Join, "lobby", "alice", "a1")
	hello := write(codec.Message, "lobby", "alice", "")
	write(codec.Join, "lobby", "bob", "b1")
	write(codec.Message, "other", "carol", "")
	write(codec.Message, "lobby", "bob", "")
	write(codec.Leave, "lobby", "alice", "a1")
	write(codec.Edit, "lobby", "alice", hello.ID)
	caughtUp(t, cfg, client)

	global := []string{"--brokers", strings.Join(cfg.Brokers, ","), "--topic-prefix", cfg.Names.Prefix, "--partitions", fmt.Sprint(cfg.Partitions)}
	cmd := func(wantOK bool, args ...string) string {
		t.Helper()
		out, err := run(t, append(global, args...)...)
		if (err == nil) != wantOK {
			t.Fatalf("chatstate %v: %v\n%s", args, err, out)
		}
		return out
	}
	room := func(out string) api.RoomJSON {
		t.Helper()
		var r api.RoomJSON
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return r
	}

	if got := room(cmd(true, "replay", "--room", "lobby", "--until-cursor", fmt.Sprint(cursors[2]))); !reflect.DeepEqual(got, states[2]) {
		t.Errorf("replay until cursor %d: %+v, want %+v", cursors[2], got, states[2])
	}
	if got := room(cmd(true, "replay", "--room", "lobby", "--until", "2024-05-01T16:01:30+02:00")); !reflect.DeepEqual(got, states[1]) {
		t.Errorf("replay until 14:01:30Z: %+v, want %+v", got, states[1])
	}
	var list struct{ Events []struct{ Cursor int64 } }
	if err := json.Unmarshal([]byte(cmd(true, "replay", "--room", "lobby", "--events")), &list); err != nil || len(list.Events) != len(cursors) || list.Events[4].Cursor != cursors[4] {
		t.Errorf("replay --events: %v %+v, want cursors %v", err, list, cursors)
	}
	// The events show alice's message as it was at the bound: edited only
	// once the bound passes the edit.
	for _, tc := range []struct {
		bound int64
		want  string
	}{{cursors[4], `"text":"hello"}`}, {cursors[5], `"text":"hello again","edited":true}`}} {
		out := cmd(true, "replay", "--room", "lobby", "--events", "--until-cursor", fmt.Sprint(tc.bound))
		var page struct{ Events []map[string]json.RawMessage }
		var msg bytes.Buffer
		if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Events) < 2 || json.Compact(&msg, page.Events[1]["event"]) != nil || !strings.HasSuffix(msg.String(), tc.want) {
			t.Errorf("replay --events --until-cursor %d: %v %s, want the message with %s", tc.bound, err, out, tc.want)
		}
	}
	if out := cmd(false, "replay", "--room", "nowhere"); !strings.HasPrefix(out, "chatstate: ") || strings.Count(out, "\n") != 1 {
		t.Errorf("replay of an unknown room: %q", out)
	}

	if out := cmd(true, "verify"); !strings.Contains(out, "no differences") {
		t.Fatalf("verify: %s", out)
	}
	var bad codec.RoomState
	b, _ := json.Marshal(s)
	_ = json.Unmarshal(b, &bad)
	bad.Messages += 5
	sc := cfg.Sarama("test-corrupt")
	sc.Producer.Partitioner = sarama.NewManualPartitioner
	corrupt, err := sarama.NewSyncProducer(cfg.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = codec.RoomCodec{}.Encode(&bad)
	if _, _, err := corrupt.SendMessage(&sarama.ProducerMessage{Topic: string(cfg.Names.RoomsTable()), Key: sarama.StringEncoder("lobby"),
		Value: sarama.ByteEncoder(b), Partition: kafka.Partition("lobby", cfg.Partitions)}); err != nil {
		t.Fatal(err)
	}
	_ = corrupt.Close()
	diff := fmt.Sprintf("rooms  lobby  messages  %d", s.Messages+5)
	if out := cmd(false, "verify"); !strings.Contains(out, diff) || !strings.Contains(out, "chatstate: the tables differ from the log in 1 field") {
		t.Fatalf("verify after the corruption, want %q:\n%s", diff, out)
	}

	if out := cmd(false, "rebuild"); !strings.Contains(out, "processors are running") || !strings.Contains(out, string(cfg.Names.RoomsGroup)+" member") {
		t.Fatalf("rebuild while processors run: %s", out)
	}
	stop()
	if out := cmd(true, "rebuild", "--dry-run"); !strings.Contains(out, "nothing changed") || !strings.Contains(out, "tombstones to "+string(cfg.Names.RoomsTable())) {
		t.Fatalf("rebuild --dry-run: %s", out)
	}
	cmd(false, "verify") // the dry run changed nothing
	if out := cmd(true, "rebuild"); !strings.Contains(out, "done") {
		t.Fatalf("rebuild: %s", out)
	}
	testenv.RunProcessors(t, cfg, dir) // the old state directory
	caughtUp(t, cfg, client)
	if out := cmd(true, "verify"); !strings.Contains(out, "compared 2 rooms and 3 users") || !strings.Contains(out, "no differences") {
		t.Fatalf("verify after the rebuild: %s", out)
	}
}
