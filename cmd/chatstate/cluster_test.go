package main_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
)

// These scenarios run chatstate as a platform team would: separate
// processor and server processes on Apache Kafka. They need
// CHATSTATE_TEST_BROKERS, and the broker failure CHATSTATE_TEST_CLUSTER too;
// scripts/test-on-kafka sets both.

// TestWorkersShareAndTakeOver: two processors share the partitions, a third
// joins and gets some, one is killed with SIGKILL while clients send, and
// the others take its partitions over. Every room's count is then exactly
// its acked messages, and the member lists are right.
func TestWorkersShareAndTakeOver(t *testing.T) {
	d := newDeployment(realKafka(t), "workers", 8)
	p1 := d.processor(t, "w1")
	p2 := d.processor(t, "w2")
	t.Logf("two processors: %v", d.waitShared(t, "w1", "w2"))
	srv := d.server(t, "s1")
	p3 := d.processor(t, "w3")
	t.Logf("a third joined: %v", d.waitShared(t, "w1", "w2", "w3"))

	var chatters []*chatter
	for i := range 6 {
		chatters = append(chatters, newChatter(t, srv.url, fmt.Sprintf("u%d", i), fmt.Sprintf("room%d", i%3), "lobby"))
	}
	for _, ch := range chatters {
		ch.start(3000, 5*time.Millisecond, 4*time.Minute)
	}
	waitAcks(t, 60*time.Second, chatters, 20)
	p2.kill(t)
	t.Logf("w2 killed with SIGKILL")
	waitAcks(t, 60*time.Second, chatters, 20)
	t.Logf("taken over: %v", d.waitShared(t, "w1", "w3"))
	waitAcks(t, 60*time.Second, chatters, 20)
	for _, ch := range chatters {
		ch.stopAndWait(t)
	}
	total := 0
	for _, ch := range chatters {
		total += ch.acks()
		if len(ch.refused) > 0 {
			t.Errorf("%s: sends refused with Kafka up: %v", ch.user, ch.refused)
		}
	}
	t.Logf("%d messages acked", total)
	urls := []string{srv.url}
	counts := checkLog(t, urls, chatters)
	ackedIn := map[string]int{}
	for _, ch := range chatters {
		for room, texts := range ch.acked {
			ackedIn[room] += len(texts)
		}
	}
	for room, n := range ackedIn {
		if counts[room] != n {
			t.Errorf("%s holds %d messages, %d were acked", room, counts[room], n)
		}
	}
	checkMembers(t, urls, chatters)
	// The processor killed mid-stream left every unread count exact.
	joined := map[string][]string{}
	for _, ch := range chatters {
		joined[ch.user] = ch.rooms
	}
	checkUnread(t, urls, joined)
	checkCLI(t, d, chatters, counts)
	checkStreams(t, chatters)
	p1.alive(t)
	p3.alive(t)
}

// TestServersShareRooms: a user on one server and a user on another chat in
// one room and see each other's joins, leaves and messages; both servers
// answer the same about the room.
func TestServersShareRooms(t *testing.T) {
	d := newDeployment(realKafka(t), "servers", 4)
	d.processor(t, "w1")
	s1, s2 := d.server(t, "s1"), d.server(t, "s2")
	alice, bob := testenv.Dial(t, s1.url, "alice"), testenv.Dial(t, s2.url, "bob")

	alice.Send(testenv.Frame{"op": "join", "room": "both"})
	alice.Expect("snapshot", testenv.Frame{"members": []any{}})
	alice.ExpectEvent("both", "join", "alice")
	bob.Send(testenv.Frame{"op": "join", "room": "both"})
	// s2 may not have read alice's join yet: then the snapshot is from
	// before it, and the join follows as an event, before bob's own.
	snap := bob.Expect("snapshot", nil)
	sawAlice := fmt.Sprint(snap["members"]) == "[map[sessions:1 user:alice]]"
	for {
		f := bob.Expect("event", testenv.Frame{"room": "both"})
		ev := f["event"].(map[string]any)
		if ev["type"] == "join" && ev["user"] == "alice" && !sawAlice {
			sawAlice = true
			continue
		}
		if ev["type"] != "join" || ev["user"] != "bob" || !sawAlice {
			t.Fatalf("bob got %v after the snapshot %v", f, snap)
		}
		break
	}
	alice.ExpectEvent("both", "join", "bob")

	bob.Send(testenv.Frame{"op": "send", "room": "both", "text": "hi from s2", "ref": 1})
	bob.AckAndEcho(1)
	if _, ev := alice.ExpectEvent("both", "message", "bob"); ev["text"] != "hi from s2" {
		t.Fatalf("alice got %v", ev)
	}
	alice.Send(testenv.Frame{"op": "send", "room": "both", "text": "hi from s1", "ref": 2})
	alice.AckAndEcho(2)
	if _, ev := bob.ExpectEvent("both", "message", "alice"); ev["text"] != "hi from s1" {
		t.Fatalf("bob got %v", ev)
	}
	bob.Send(testenv.Frame{"op": "leave", "room": "both", "ref": 3})
	bob.AckAndEcho(3)
	alice.ExpectEvent("both", "leave", "bob")

	// Both servers answer the same, once their views have the leave.
	var one, two map[string]any
	testenv.WaitFor(t, 30*time.Second, func() error {
		if err := errors.Join(fetchJSON(s1.url+"/api/rooms/both", &one), fetchJSON(s2.url+"/api/rooms/both", &two)); err != nil {
			return err
		}
		a, b := fmt.Sprint(one), fmt.Sprint(two)
		if a != b {
			return fmt.Errorf("s1 says %s, s2 says %s", a, b)
		}
		if one["messages"] != 2.0 || fmt.Sprint(one["members"]) != "[map[sessions:1 user:alice]]" {
			return fmt.Errorf("room %s", a)
		}
		return nil
	})
}

// TestClusterSurvivesBrokerKill: on a three-broker cluster, the broker that
// leads a busy room's partition is killed with SIGKILL during traffic. No
// acked message is lost, clients keep chatting, and after the broker is
// back nothing is duplicated.
func TestClusterSurvivesBrokerKill(t *testing.T) {
	dir := os.Getenv("CHATSTATE_TEST_CLUSTER")
	if dir == "" {
		t.Skip("set CHATSTATE_TEST_CLUSTER to the dir of a three-node scripts/kafka cluster (scripts/test-on-kafka does)")
	}
	out, err := exec.Command(kafkaScript(t), "brokers", "--dir", dir).Output()
	if err != nil {
		t.Fatalf("scripts/kafka brokers: %v", err)
	}
	d := newDeployment(strings.TrimSpace(string(out)), "brokerkill", 8)
	p1, p2 := d.processor(t, "w1"), d.processor(t, "w2")
	s1, s2 := d.server(t, "s1"), d.server(t, "s2")
	var chatters []*chatter
	for i := range 6 {
		srv := []*proc{s1, s2}[i%2]
		chatters = append(chatters, newChatter(t, srv.url, fmt.Sprintf("u%d", i), fmt.Sprintf("room%d", i%3), "lobby"))
	}
	for _, ch := range chatters {
		ch.start(5000, 5*time.Millisecond, 5*time.Minute)
	}
	waitAcks(t, 60*time.Second, chatters, 20)

	node := leaderOf(t, d, "lobby")
	t.Logf("killing broker %d, the leader of the lobby's partition", node)
	script := kafkaScript(t)
	if out, err := exec.Command(script, "kill", "--dir", dir, "--node", fmt.Sprint(node)).CombinedOutput(); err != nil {
		t.Fatalf("kill broker: %v %s", err, out)
	}
	killed := true
	t.Cleanup(func() {
		if killed { // leave the cluster whole for whoever comes next
			_ = exec.Command(script, "restart", "--dir", dir, "--node", fmt.Sprint(node)).Run()
		}
	})
	waitAcks(t, 120*time.Second, chatters, 30)
	t.Logf("clients kept chatting with broker %d down", node)
	if out, err := exec.Command(script, "restart", "--dir", dir, "--node", fmt.Sprint(node)).CombinedOutput(); err != nil {
		t.Fatalf("restart broker: %v %s", err, out)
	}
	killed = false
	waitAcks(t, 120*time.Second, chatters, 30)
	for _, ch := range chatters {
		ch.stopAndWait(t)
	}
	refused := 0
	for _, ch := range chatters {
		for _, x := range ch.refused {
			refused += len(x)
		}
	}
	t.Logf("refused while the broker was down: %d", refused)
	urls := []string{s1.url, s2.url}
	counts := checkLog(t, urls, chatters)
	checkMembers(t, urls, chatters)
	checkCLI(t, d, chatters, counts)
	checkStreams(t, chatters)
	p1.alive(t)
	p2.alive(t)
}

// leaderOf returns the id of the broker that leads the partition of room.
func leaderOf(t *testing.T, d *deployment, room string) int32 {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	client := testenv.KafkaClient(t, strings.Split(d.brokers, ","), cfg)
	b, err := client.Leader(d.prefix+".events", kafka.Partition(room, d.partitions))
	if err != nil {
		t.Fatal(err)
	}
	return b.ID()
}

// kafkaScript is the path of scripts/kafka.
func kafkaScript(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "scripts", "kafka"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
