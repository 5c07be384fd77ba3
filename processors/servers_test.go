package processors

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"
)

// sessionsInBucket returns n session ids of the given bucket.
func sessionsInBucket(bucket, n int) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		if s := fmt.Sprintf("s%d", i); codec.HeldBucket(s) == bucket {
			out = append(out, s)
		}
	}
	return out
}

func serversAdd(instance, room, session, ts string) *codec.Presence {
	return &codec.Presence{V: codec.Version, Op: codec.AddSession, User: "u", Room: room, Session: session, Server: instance, TS: ts}
}

func serversRemove(instance, room, session string) *codec.Presence {
	p := serversAdd(instance, room, session, "2026-01-01T00:00:09.000Z")
	p.Op = codec.RemoveSession
	return p
}

func serversBeat(op codec.HeartbeatOp, instance, ts string) *codec.Heartbeat {
	return &codec.Heartbeat{V: codec.Version, Op: op, Instance: instance, Server: "a", TS: ts}
}

func TestServersFoldBucketRows(t *testing.T) {
	ss := sessionsInBucket(7, 2)
	s, gone, eff := ApplyHeld(nil, serversAdd("a/1", "r1", ss[0], "2026-01-01T00:00:01.000Z"))
	if gone || eff != TouchInstance || !s.IsBucket() || s.Bucket != "07" || s.Instance != "a/1" || len(s.Held) != 1 {
		t.Fatalf("first add: %+v gone=%v effect=%v", s, gone, eff)
	}
	if s.Beat != "" || s.Since != "" || s.Server != "" || s.Retired {
		t.Fatalf("a bucket row carries no beat info: %+v", s)
	}
	s, _, eff = ApplyHeld(s, serversAdd("a/1", "r2", ss[0], "2026-01-01T00:00:02.000Z"))
	if eff != NoEffect {
		t.Fatalf("an add to an existing bucket row touches nothing: %v", eff)
	}
	s, _, _ = ApplyHeld(s, serversAdd("a/1", "r1", ss[1], "2026-01-01T00:00:03.000Z"))
	s, _, eff = ApplyHeld(s, serversAdd("a/1", "r1", ss[1], "2026-01-01T00:00:03.000Z")) // redelivered
	if len(s.Held) != 3 || eff != TouchInstance {
		t.Fatalf("after a redelivered add: %+v effect=%v (want 3 held and the touch sent again)", s, eff)
	}
	s, gone, eff = ApplyHeld(s, serversRemove("a/1", "r1", ss[0]))
	if gone || eff != NoEffect || len(s.Held) != 2 {
		t.Fatalf("after a remove: %+v gone=%v effect=%v", s, gone, eff)
	}
	s, gone, eff = ApplyHeld(s, serversRemove("a/1", "r1", ss[0])) // redelivered
	if gone || eff != ForwardRemove || len(s.Held) != 2 {
		t.Fatalf("after a repeated remove: %+v gone=%v effect=%v", s, gone, eff)
	}
	s, _, _ = ApplyHeld(s, serversRemove("a/1", "r2", ss[0]))
	if _, gone, _ = ApplyHeld(s, serversRemove("a/1", "r1", ss[1])); !gone {
		t.Fatal("an empty bucket row must be deleted")
	}
	if s, gone, eff = ApplyHeld(nil, serversRemove("a/1", "r1", ss[1])); s != nil || !gone || eff != ForwardRemove {
		t.Fatalf("a remove without a bucket row: %+v gone=%v effect=%v", s, gone, eff)
	}
}

func TestServersFoldInstanceRow(t *testing.T) {
	// A touch creates the row, first seen at the record's ts.
	touch := serversAdd("a/1", "r1", "s1", "2026-01-01T00:00:01.000Z")
	touch.Op = codec.Seen
	s := ApplyInstanceHeld(nil, touch)
	if s == nil || s.IsBucket() || s.Since != "2026-01-01T00:00:01.000Z" || s.LastSign() != s.Since || len(s.Held) != 0 {
		t.Fatalf("after a touch: %+v", s)
	}
	s, gone := ApplyHeartbeat(s, serversBeat(codec.Beat, "a/1", "2026-01-01T00:00:05.000Z"))
	s, _ = ApplyHeartbeat(s, serversBeat(codec.Beat, "a/1", "2026-01-01T00:00:04.000Z")) // late beat keeps the max
	if gone || s.Beat != "2026-01-01T00:00:05.000Z" || s.LastSign() != s.Beat || s.Server != "a" {
		t.Fatalf("after beats: %+v gone=%v", s, gone)
	}
	if s, gone = ApplyHeartbeat(s, serversBeat(codec.Forget, "a/1", "2026-01-01T00:00:06.000Z")); gone {
		t.Fatal("a forget of a row that is not retired must be passed over")
	}
	s, gone = ApplyHeartbeat(s, serversBeat(codec.Retire, "a/1", "2026-01-01T00:00:06.000Z"))
	if gone || !s.Retired {
		t.Fatalf("a retire keeps the row: %+v gone=%v", s, gone)
	}
	s, gone = ApplyHeartbeat(s, serversBeat(codec.Retire, "a/1", "2026-01-01T00:00:06.000Z")) // redelivered
	if gone || !s.Retired {
		t.Fatalf("a repeated retire: %+v gone=%v", s, gone)
	}
	// A late join's touch takes the row back: a forget in flight is passed over.
	if s = ApplyInstanceHeld(s, touch); s.Retired || s.Since != "2026-01-01T00:00:01.000Z" {
		t.Fatalf("a touch of a retired row: %+v", s)
	}
	if _, gone = ApplyHeartbeat(s, serversBeat(codec.Forget, "a/1", "2026-01-01T00:00:07.000Z")); gone {
		t.Fatal("a forget after a touch must be passed over")
	}
	s, _ = ApplyHeartbeat(s, serversBeat(codec.Retire, "a/1", "2026-01-01T00:00:08.000Z"))
	if _, gone = ApplyHeartbeat(s, serversBeat(codec.Forget, "a/1", "2026-01-01T00:00:09.000Z")); !gone {
		t.Fatal("a forget of a retired row must delete it")
	}
	if _, gone = ApplyHeartbeat(nil, serversBeat(codec.Forget, "a/1", "2026-01-01T00:00:09.000Z")); !gone {
		t.Fatal("a forget without a row deletes (nothing)")
	}
	if s, gone = ApplyHeartbeat(nil, serversBeat(codec.Retire, "a/1", "2026-01-01T00:00:09.000Z")); gone || !s.Retired {
		t.Fatalf("a retire without a row creates a retired row: %+v gone=%v", s, gone)
	}
	if s := ApplyInstanceHeld(nil, serversRemove("a/1", "r1", "s1")); s != nil {
		t.Fatalf("a forwarded remove must not create an instance row: %+v", s)
	}
}

// TestServersFoldOlderRows: an instance row written by an older build holds
// sessions in Held. Removes forwarded by the buckets take them out, and the
// row is not forgotten while it holds any.
func TestServersFoldOlderRows(t *testing.T) {
	s := codec.NewServerState("old/1")
	s.Server, s.Since, s.Beat, s.Retired = "old", "2026-01-01T00:00:01.000Z", "2026-01-01T00:00:02.000Z", true
	s.Held["r1/s1"] = codec.Held{Room: "r1", User: "u", Session: "s1"}
	if _, gone := ApplyHeartbeat(s, serversBeat(codec.Forget, "old/1", "2026-01-01T00:00:03.000Z")); gone {
		t.Fatal("a row that still holds sessions must not be forgotten")
	}
	s = ApplyInstanceHeld(s, serversRemove("old/1", "r1", "s1"))
	if len(s.Held) != 0 || !s.Retired {
		t.Fatalf("after the forwarded remove: %+v", s)
	}
	if _, gone := ApplyHeartbeat(s, serversBeat(codec.Forget, "old/1", "2026-01-01T00:00:03.000Z")); !gone {
		t.Fatal("an empty retired row must be forgotten")
	}
}

// serversNames are the names of the group tests.
var serversNames = kafka.NewNames("chat")

// startServersGroup runs the servers processor on a goka tester until the
// test ends.
func startServersGroup(t *testing.T) *tester.Tester {
	t.Helper()
	tt := tester.New(t)
	cfg := kafka.Config{Brokers: []string{"unused"}, Names: serversNames, Partitions: 1}
	p, err := NewServers(cfg, t.TempDir(), goka.WithTester(tt))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("processor run: %v", err)
		}
	})
	return tt
}

func consumePresence(t *testing.T, tt *tester.Tester, p *codec.Presence) {
	t.Helper()
	b, err := codec.PresenceCodec{}.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	tt.Consume(string(serversNames.Presence), p.User, b)
}

func consumeHeartbeat(t *testing.T, tt *tester.Tester, h *codec.Heartbeat) {
	t.Helper()
	b, err := codec.HeartbeatCodec{}.Encode(h)
	if err != nil {
		t.Fatal(err)
	}
	tt.Consume(string(serversNames.Heartbeats), h.Instance, b)
}

func serverRow(t *testing.T, tt *tester.Tester, key string) *codec.ServerState {
	t.Helper()
	v := tt.TableValue(serversNames.ServersTable(), key)
	if v == nil {
		return nil
	}
	s := codec.AsServer(v)
	if s == nil {
		t.Fatalf("servers table holds %T", v)
	}
	return s
}

// serverRows returns the rows of instance by key: the instance row under
// the instance id, the bucket rows under theirs.
func serverRows(t *testing.T, tt *tester.Tester, instance string) map[string]*codec.ServerState {
	t.Helper()
	rows := map[string]*codec.ServerState{}
	for _, k := range tt.GetTableKeys(serversNames.ServersTable()) {
		if k == instance || strings.HasPrefix(k, instance+"#") {
			if r := serverRow(t, tt, k); r != nil {
				rows[k] = r
			}
		}
	}
	return rows
}

// TestServersGroupBuckets: the joins of many sessions of one instance land
// in its bucket rows, each of them holding its own bucket only; the
// instance row holds the beat info and no session; a leave that empties a
// bucket deletes its row; retire keeps the instance row, forget deletes it;
// redelivered records change nothing.
func TestServersGroupBuckets(t *testing.T) {
	tt := startServersGroup(t)
	dead := tt.NewQueueTracker(string(serversNames.DeadLetter))
	const inst, n = "a/1", 500
	consumeHeartbeat(t, tt, serversBeat(codec.Beat, inst, "2026-01-01T00:00:00.500Z"))
	for i := range n {
		consumePresence(t, tt, serversAdd(inst, "lobby", fmt.Sprintf("s%d", i), "2026-01-01T00:00:01.000Z"))
	}
	consumePresence(t, tt, serversAdd(inst, "lobby", "s0", "2026-01-01T00:00:01.000Z")) // redelivered

	buckets := map[int]bool{}
	for i := range n {
		buckets[codec.HeldBucket(fmt.Sprintf("s%d", i))] = true
	}
	rows := serverRows(t, tt, inst)
	if len(rows) != len(buckets)+1 {
		t.Fatalf("%d rows, want the instance row and %d bucket rows", len(rows), len(buckets))
	}
	held, largest := 0, 0
	for k, r := range rows {
		if k == inst {
			if r.IsBucket() || len(r.Held) != 0 || r.Server != "a" || r.Beat != "2026-01-01T00:00:00.500Z" || r.Retired {
				t.Fatalf("instance row %+v", r)
			}
			continue
		}
		if !r.IsBucket() || k != inst+"#"+r.Bucket || r.Instance != inst || r.Beat != "" || r.Since != "" {
			t.Fatalf("bucket row %s: %+v", k, r)
		}
		for _, h := range r.Held {
			if codec.HeldKey(inst, h.Session) != k {
				t.Fatalf("session %s in bucket row %s", h.Session, k)
			}
		}
		held += len(r.Held)
		largest = max(largest, len(r.Held))
	}
	if held != n || largest >= n/4 {
		t.Fatalf("%d sessions held in bucket rows (largest %d), want %d spread", held, largest, n)
	}

	// A leave that empties a bucket deletes its row.
	key := codec.HeldKey(inst, "s0")
	for _, h := range serverRow(t, tt, key).Held {
		consumePresence(t, tt, serversRemove(inst, h.Room, h.Session))
	}
	if r := serverRow(t, tt, key); r != nil {
		t.Fatalf("emptied bucket row %s still there: %+v", key, r)
	}
	consumePresence(t, tt, serversRemove(inst, "lobby", "s0")) // redelivered
	if r := serverRow(t, tt, key); r != nil {
		t.Fatalf("a redelivered remove brought %s back: %+v", key, r)
	}
	if r := serverRow(t, tt, inst); r == nil || r.Retired || len(r.Held) != 0 {
		t.Fatalf("instance row after a forwarded remove: %+v", r)
	}

	// Retire keeps the instance row; forget deletes it.
	consumeHeartbeat(t, tt, serversBeat(codec.Retire, inst, "2026-01-01T00:00:02.000Z"))
	consumeHeartbeat(t, tt, serversBeat(codec.Retire, inst, "2026-01-01T00:00:02.000Z")) // redelivered
	if r := serverRow(t, tt, inst); r == nil || !r.Retired {
		t.Fatalf("retired instance row: %+v", r)
	}
	consumeHeartbeat(t, tt, serversBeat(codec.Forget, inst, "2026-01-01T00:00:03.000Z"))
	if r := serverRow(t, tt, inst); r != nil {
		t.Fatalf("forgotten instance row still there: %+v", r)
	}
	consumeHeartbeat(t, tt, serversBeat(codec.Forget, inst, "2026-01-01T00:00:03.000Z")) // redelivered
	if r := serverRow(t, tt, inst); r != nil {
		t.Fatalf("a redelivered forget left a row: %+v", r)
	}
	if k, v, ok := dead.Next(); ok {
		t.Fatalf("dead letter %q %v", k, v)
	}
}

// TestServersGroupInstanceRowFollowsSessions: an instance that never beat
// gets its row from its first session; a late join un-retires a retired
// row, so a forget then changes nothing; a heartbeat keyed like a bucket
// row and one of an unknown op are dead-lettered.
func TestServersGroupInstanceRowFollowsSessions(t *testing.T) {
	tt := startServersGroup(t)
	dead := tt.NewQueueTracker(string(serversNames.DeadLetter))
	const inst = "ghost/1"
	consumePresence(t, tt, serversAdd(inst, "lobby", "g1", "2026-01-01T00:00:01.000Z"))
	r := serverRow(t, tt, inst)
	if r == nil || r.Since != "2026-01-01T00:00:01.000Z" || r.Beat != "" || r.Retired || len(r.Held) != 0 {
		t.Fatalf("instance row of a session's instance: %+v", r)
	}
	consumeHeartbeat(t, tt, &codec.Heartbeat{V: codec.Version, Op: codec.Retire, Instance: inst, Server: "ghost", TS: "2026-01-01T00:00:02.000Z"})
	// A late join in another bucket creates a bucket row, which takes the
	// instance row back from retired; the forget in flight is passed over.
	late := sessionsInBucket((codec.HeldBucket("g1")+1)%codec.HeldBuckets, 1)[0]
	consumePresence(t, tt, serversAdd(inst, "lobby", late, "2026-01-01T00:00:03.000Z"))
	consumeHeartbeat(t, tt, &codec.Heartbeat{V: codec.Version, Op: codec.Forget, Instance: inst, Server: "ghost", TS: "2026-01-01T00:00:04.000Z"})
	if r := serverRow(t, tt, inst); r == nil || r.Retired || r.Since != "2026-01-01T00:00:01.000Z" {
		t.Fatalf("instance row after a late join and a forget: %+v", r)
	}
	if rows := serverRows(t, tt, inst); len(rows) != 3 {
		t.Fatalf("%d rows, want the instance row and two bucket rows", len(rows))
	}

	bad := []struct {
		key string
		raw string
	}{
		{codec.HeldKey(inst, "g1"), `{"v":1,"op":"beat","instance":"` + codec.HeldKey(inst, "g1") + `","server":"x","ts":"2026-01-01T00:00:05.000Z"}`},
		{inst, `{"v":1,"op":"vanish","instance":"` + inst + `","server":"ghost","ts":"2026-01-01T00:00:05.000Z"}`},
	}
	for _, b := range bad {
		tt.Consume(string(serversNames.Heartbeats), b.key, []byte(b.raw))
		if k, _, ok := dead.Next(); !ok || k != b.key {
			t.Fatalf("heartbeat %s not dead-lettered", b.raw)
		}
	}
	if r := serverRow(t, tt, codec.HeldKey(inst, "g1")); r == nil || !r.IsBucket() || len(r.Held) != 1 {
		t.Fatalf("bucket row after a heartbeat under its key: %+v", r)
	}
}

// TestServersGroupOlderRows: an instance row an older build wrote holds
// its sessions in Held; their removes (through the bucket rows) and the
// add and remove records an older build left in the loop topic, keyed by
// the instance, apply to it, and it is forgotten only once empty.
func TestServersGroupOlderRows(t *testing.T) {
	tt := startServersGroup(t)
	const inst = "old/1"
	old := codec.NewServerState(inst)
	old.Server, old.Since, old.Beat = "old", "2026-01-01T00:00:01.000Z", "2026-01-01T00:00:01.000Z"
	old.Held["lobby/o1"] = codec.Held{Room: "lobby", User: "u", Session: "o1"}
	tt.SetTableValue(serversNames.ServersTable(), inst, old)
	loop := string(serversNames.ServersLoop())
	tt.Consume(loop, inst, serversAdd(inst, "lobby", "o2", "2026-01-01T00:00:02.000Z"))
	if r := serverRow(t, tt, inst); r == nil || len(r.Held) != 2 {
		t.Fatalf("after an older build's add: %+v", r)
	}
	consumeHeartbeat(t, tt, &codec.Heartbeat{V: codec.Version, Op: codec.Retire, Instance: inst, Server: "old", TS: "2026-01-01T00:00:03.000Z"})
	consumeHeartbeat(t, tt, &codec.Heartbeat{V: codec.Version, Op: codec.Forget, Instance: inst, Server: "old", TS: "2026-01-01T00:00:04.000Z"})
	if r := serverRow(t, tt, inst); r == nil || len(r.Held) != 2 || !r.Retired {
		t.Fatalf("a row holding sessions was forgotten: %+v", r)
	}
	consumePresence(t, tt, serversRemove(inst, "lobby", "o1")) // through its bucket row
	tt.Consume(loop, inst, serversRemove(inst, "lobby", "o2")) // an older build's record
	if r := serverRow(t, tt, inst); r == nil || len(r.Held) != 0 || !r.Retired {
		t.Fatalf("after the removes: %+v", r)
	}
	if r := serverRow(t, tt, codec.HeldKey(inst, "o1")); r != nil {
		t.Fatalf("a remove left a bucket row: %+v", r)
	}
	consumeHeartbeat(t, tt, &codec.Heartbeat{V: codec.Version, Op: codec.Forget, Instance: inst, Server: "old", TS: "2026-01-01T00:00:05.000Z"})
	if rows := serverRows(t, tt, inst); len(rows) != 0 {
		t.Fatalf("rows left after the forget: %v", rows)
	}
}

// BenchmarkServersJoin measures one join in the servers group when the
// instance already holds n sessions: the row read, folded and written, in
// the bucket layout and in the older one (all sessions in the instance
// row).
func BenchmarkServersJoin(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		rows := map[string][]byte{}
		old := codec.NewServerState("a/1")
		for i := range n {
			p := serversAdd("a/1", "lobby", fmt.Sprintf("s%d", i), "2026-01-01T00:00:01.000Z")
			k := codec.HeldKey("a/1", p.Session)
			var s *codec.ServerState
			if raw := rows[k]; raw != nil {
				v, _ := codec.ServerCodec{}.Decode(raw)
				s = codec.AsServer(v)
			}
			s, _, _ = ApplyHeld(s, p)
			rows[k], _ = codec.ServerCodec{}.Encode(s)
			old = ApplyInstanceHeld(old, p)
		}
		oldRaw, _ := codec.ServerCodec{}.Encode(old)
		join := serversAdd("a/1", "lobby", "newcomer", "2026-01-01T00:00:02.000Z")
		fold := func(b *testing.B, raw []byte, apply func(*codec.ServerState) *codec.ServerState) {
			for b.Loop() {
				v, err := codec.ServerCodec{}.Decode(raw)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := (codec.ServerCodec{}).Encode(apply(codec.AsServer(v))); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.Run(fmt.Sprintf("buckets/held=%d", n), func(b *testing.B) {
			fold(b, rows[codec.HeldKey("a/1", join.Session)], func(s *codec.ServerState) *codec.ServerState {
				s, _, _ = ApplyHeld(s, join)
				return s
			})
		})
		b.Run(fmt.Sprintf("instance-row/held=%d", n), func(b *testing.B) {
			fold(b, oldRaw, func(s *codec.ServerState) *codec.ServerState { return ApplyInstanceHeld(s, join) })
		})
	}
}
