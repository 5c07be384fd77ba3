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

// produce writes records straight to Kafka, as a server that is gone now
// would have.
func produce(t *testing.T, kcfg kafka.Config, topic string, key string, v any) {
	t.Helper()
	var b []byte
	var err error
	switch r := v.(type) {
	case *codec.Event:
		b, err = codec.EventCodec{}.Encode(r)
	case *codec.Heartbeat:
		b, err = codec.HeartbeatCodec{}.Encode(r)
	}
	if err != nil {
		t.Fatal(err)
	}
	p, err := sarama.NewSyncProducer(kcfg.Brokers, kcfg.Sarama("test"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(key), Value: sarama.ByteEncoder(b)}); err != nil {
		t.Fatal(err)
	}
}

func ghostJoin(t *testing.T, kcfg kafka.Config, room, user, session, instance string) {
	e := codec.NewEvent(codec.Join, room, user)
	e.Session, e.Server = session, instance
	produce(t, kcfg, string(kcfg.Names.Events), room, &e)
}

func members(t *testing.T, base, room string) string {
	var r map[string]any
	getJSON(t, base+"/api/rooms/"+room, &r)
	return fmt.Sprint(r["members"])
}

// TestSessionsOfASilentServerExpire: a session held by an instance that
// never beats is expired within the TTL, as an expire event that members
// see, and leaves the room and the active-user list.
func TestSessionsOfASilentServerExpire(t *testing.T) {
	s := newStack(t, server.Config{SessionTTL: 1500 * time.Millisecond})
	ghostJoin(t, s.kcfg, "haunted", "ghost", "g1", "gone/0000")
	alice := s.dial("alice")
	testenv.WaitFor(t, 10*time.Second, func() error {
		if m := members(t, s.http.URL, "haunted"); m != "[map[sessions:1 user:ghost]]" {
			return fmt.Errorf("members %s", m)
		}
		return nil
	})
	alice.Send(frame{"op": "join", "room": "haunted"})
	alice.Expect("snapshot", frame{"members": "[map[sessions:1 user:ghost]]"})
	alice.ExpectEvent("haunted", "join", "alice")
	start := time.Now()
	_, ev := alice.ExpectEvent("haunted", "expire", "ghost")
	t.Logf("expired after %v", time.Since(start))
	if ev["session"] != "g1" {
		t.Fatalf("expire event %v", ev)
	}
	testenv.WaitFor(t, 10*time.Second, func() error {
		if m := members(t, s.http.URL, "haunted"); m != "[map[sessions:1 user:alice]]" {
			return fmt.Errorf("members %s", m)
		}
		var users map[string][]map[string]any
		getJSON(t, s.http.URL+"/api/users?online=true", &users)
		if fmt.Sprint(users["users"]) != "[map[last_seen:"+fmt.Sprint(users["users"][0]["last_seen"])+" rooms:[haunted] sessions:1 user:alice]]" {
			return fmt.Errorf("online users %v", users)
		}
		return nil
	})
}

// TestRestartUnderTheSameIDClearsAtOnce: a server that starts under the id
// of an earlier instance expires that instance's sessions at once, without
// waiting for the TTL, even while the earlier instance still seems alive.
func TestRestartUnderTheSameIDClearsAtOnce(t *testing.T) {
	kcfg := testenv.Kafka(t, 2)
	dir := t.TempDir()
	runProcessors(t, kcfg, dir)
	old := "same/1111"
	produce(t, kcfg, string(kcfg.Names.Heartbeats), old, &codec.Heartbeat{V: codec.Version, Op: codec.Beat, Instance: old, Server: "same", TS: codec.FormatTime(time.Now())})
	ghostJoin(t, kcfg, "lobby", "bob", "b1", old)
	_, hs, _ := startServer(t, kcfg, dir, server.Config{ServerID: "same", SessionTTL: time.Hour})
	testenv.WaitFor(t, 20*time.Second, func() error {
		if m := members(t, hs.URL, "lobby"); m != "[]" {
			return fmt.Errorf("members %s, want bob's old session gone", m)
		}
		return nil
	})
}
