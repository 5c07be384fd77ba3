package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server"
	"github.com/chatstate/chatstate/views"
	"github.com/lovoo/goka"
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
	case *codec.ServerState:
		b, err = codec.ServerCodec{}.Encode(r)
	}
	if err != nil {
		t.Fatal(err)
	}
	p := testenv.Producer(t, kcfg.Brokers, kcfg.Sarama("test"))
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
	t.Parallel()
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
	alice.Expect("snapshot", frame{"members": []codec.Member{{User: "ghost", Sessions: 1}}})
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
	t.Parallel()
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

// serversView runs a view of the servers table until the test ends.
func serversView(t *testing.T, kcfg kafka.Config) *views.Servers {
	t.Helper()
	v, err := views.NewServers(kcfg, t.TempDir(), views.WithGokaOptions(goka.WithViewLogger(testLogger{T: t})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := v.WaitReady(wctx); err != nil {
		t.Fatal(err)
	}
	return v
}

// rowsOf describes the rows of the servers table that belong to the
// instances keep accepts: the instance rows and the bucket rows.
func rowsOf(t *testing.T, v *views.Servers, keep func(instance string) bool) []string {
	t.Helper()
	rows, err := v.List("", 0, func(r *codec.ServerState) bool { return keep(r.Instance) })
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if r.IsBucket() {
			out = append(out, fmt.Sprintf("%s#%s held %d", r.Instance, r.Bucket, len(r.Held)))
		} else {
			out = append(out, fmt.Sprintf("%s retired=%v held %d", r.Instance, r.Retired, len(r.Held)))
		}
	}
	return out
}

// TestExpiredAndStoppedInstancesAreForgotten: once their sessions are gone, the rows of
// a silent instance (expired, then retired) and of an instance that
// stopped cleanly (retired by itself) are deleted from the servers table,
// bucket rows and instance row alike.
func TestExpiredAndStoppedInstancesAreForgotten(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{SessionTTL: 1500 * time.Millisecond})
	v := serversView(t, s.kcfg)
	ghost := func(inst string) bool { return inst == "gone/0000" }
	ghostJoin(t, s.kcfg, "haunted", "ghost", "g1", "gone/0000")
	ghostJoin(t, s.kcfg, "haunted", "ghost", "g2", "gone/0000")
	testenv.WaitFor(t, 20*time.Second, func() error {
		if m := members(t, s.http.URL, "haunted"); m != "[]" {
			return fmt.Errorf("members %s, want the ghost's sessions expired", m)
		}
		if rows := rowsOf(t, v, ghost); len(rows) > 0 {
			return fmt.Errorf("rows of the silent instance left: %v", rows)
		}
		return nil
	})

	// A second server that stops cleanly: its sessions leave, it retires,
	// and the sweeper (the first server) forgets it.
	_, hs2, stop2 := startServer(t, s.kcfg, s.dir, server.Config{ServerID: "s2", SessionTTL: 1500 * time.Millisecond})
	second := func(inst string) bool { return strings.HasPrefix(inst, "s2/") }
	bob := testenv.Dial(t, hs2.URL, "bob")
	bob.Send(frame{"op": "join", "room": "lobby"})
	bob.Expect("snapshot", frame{})
	testenv.WaitFor(t, 20*time.Second, func() error {
		rows := rowsOf(t, v, second)
		for _, r := range rows {
			if strings.Contains(r, "#") {
				return nil
			}
		}
		return fmt.Errorf("no bucket row of the second server yet: %v", rows)
	})
	stop2()
	testenv.WaitFor(t, 20*time.Second, func() error {
		if m := members(t, s.http.URL, "lobby"); m != "[]" {
			return fmt.Errorf("members %s, want bob gone", m)
		}
		if rows := rowsOf(t, v, second); len(rows) > 0 {
			return fmt.Errorf("rows of the stopped server left: %v", rows)
		}
		return nil
	})
}

// TestOlderInstanceRowsExpire: an instance row written by an older build,
// holding its sessions itself rather than in bucket rows, is expired like
// the others, then forgotten.
func TestOlderInstanceRowsExpire(t *testing.T) {
	t.Parallel()
	kcfg := testenv.Kafka(t, 2)
	dir := t.TempDir()
	old := codec.NewServerState("old/1111")
	old.Server, old.Beat, old.Since = "old", codec.FormatTime(time.Now().Add(-time.Hour)), codec.FormatTime(time.Now().Add(-time.Hour))
	old.Held["attic/r1"] = codec.Held{Room: "attic", User: "relic", Session: "r1"}
	produce(t, kcfg, string(kcfg.Names.ServersTable()), old.Instance, old)
	// The join went through an older build's servers group: no bucket row.
	ghostJoin(t, kcfg, "attic", "relic", "r1", "")
	runProcessors(t, kcfg, dir)
	_, hs, _ := startServer(t, kcfg, dir, server.Config{SessionTTL: 1500 * time.Millisecond})
	v := serversView(t, kcfg)
	testenv.WaitFor(t, 20*time.Second, func() error {
		if m := members(t, hs.URL, "attic"); m != "[]" {
			return fmt.Errorf("members %s, want the older row's session expired", m)
		}
		if rows := rowsOf(t, v, func(inst string) bool { return inst == old.Instance }); len(rows) > 0 {
			return fmt.Errorf("rows of the older instance left: %v", rows)
		}
		return nil
	})
}

// TestOrphanBucketRowsExpire: bucket rows whose instance row is missing (a
// forget that raced with a late join) are expired all the same, once the
// sweeper has seen them so for the TTL.
func TestOrphanBucketRowsExpire(t *testing.T) {
	t.Parallel()
	kcfg := testenv.Kafka(t, 2)
	dir := t.TempDir()
	const inst = "lost/2222"
	b := codec.NewBucketState(inst, codec.HeldBucket("o1"))
	b.Held["cellar/o1"] = codec.Held{Room: "cellar", User: "orphan", Session: "o1"}
	produce(t, kcfg, string(kcfg.Names.ServersTable()), codec.HeldKey(inst, "o1"), b)
	// The join's own presence record is not what put the row there.
	ghostJoin(t, kcfg, "cellar", "orphan", "o1", "")
	runProcessors(t, kcfg, dir)
	_, hs, _ := startServer(t, kcfg, dir, server.Config{SessionTTL: 1500 * time.Millisecond})
	v := serversView(t, kcfg)
	testenv.WaitFor(t, 20*time.Second, func() error {
		if m := members(t, hs.URL, "cellar"); m != "[]" {
			return fmt.Errorf("members %s, want the orphan bucket row's session expired", m)
		}
		if rows := rowsOf(t, v, func(i string) bool { return i == inst }); len(rows) > 0 {
			return fmt.Errorf("rows of the instance left: %v", rows)
		}
		return nil
	})
}
