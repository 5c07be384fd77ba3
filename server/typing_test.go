package server_test

import (
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server"
)

// TestTypingAcrossServers relays alice's typing to bob on another server,
// at most once per two seconds, never to alice herself nor to a non-member,
// and never into the events topic.
func TestTypingAcrossServers(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	_, hs2, _ := startServer(t, s.kcfg, t.TempDir(), server.Config{ServerID: "s2"})
	alice, carol := s.dial("alice"), s.dial("carol")
	bob := testenv.Dial(t, hs2.URL, "bob")
	alice.Send(frame{"op": "join", "room": "desk"})
	alice.Expect("snapshot", frame{"room": "desk"})
	alice.ExpectEvent("desk", "join", "alice")
	bob.Send(frame{"op": "join", "room": "desk"})
	bob.Expect("snapshot", frame{"room": "desk"})
	// s2's snapshot may precede alice's join, which then comes first.
	for f := bob.Expect("event", frame{"room": "desk"}); f["event"].(map[string]any)["user"] != "bob"; {
		f = bob.Expect("event", frame{"room": "desk"})
	}
	alice.ExpectEvent("desk", "join", "bob")

	client := testenv.KafkaClient(t, s.kcfg.Brokers, s.kcfg.Sarama("test"))
	sum := func(topic string) (n int64) {
		ends, err := kafka.EndOffsets(client, topic, s.kcfg.Partitions)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ends {
			n += e
		}
		return n
	}
	events, typing := sum(string(s.kcfg.Names.Events)), sum(string(s.kcfg.Names.Typing))

	carol.Send(frame{"op": "typing", "room": "desk", "ref": 1})
	carol.Expect("error", frame{"code": "not_member", "ref": 1})
	alice.Send(frame{"op": "typing", "room": "desk", "ref": 2})
	alice.Expect("ack", frame{"ref": 2, "room": "desk"})
	bob.Expect("typing", frame{"room": "desk", "user": "alice"})
	// Within two seconds: acked, not relayed.
	alice.Send(frame{"op": "typing", "room": "desk", "ref": 3})
	alice.Expect("ack", frame{"ref": 3, "room": "desk"})
	bob.Send(frame{"op": "typing", "room": "desk"})
	alice.Expect("typing", frame{"room": "desk", "user": "bob"})
	if got := sum(string(s.kcfg.Names.Events)); got != events {
		t.Fatalf("typing wrote %d records to the events topic", got-events)
	}
	if got := sum(string(s.kcfg.Names.Typing)); got != typing+2 {
		t.Fatalf("%d typing records, want 2", got-typing)
	}
	// After two seconds, relayed again.
	time.Sleep(server.TypingEvery)
	alice.Send(frame{"op": "typing", "room": "desk"})
	bob.Expect("typing", frame{"room": "desk", "user": "alice"})
	alice.Quiet(300 * time.Millisecond)
}
