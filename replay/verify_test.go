package replay_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/replay"
)

func verify(t *testing.T, cfg kafka.Config) *replay.Report {
	t.Helper()
	rep, err := replay.Verify(context.Background(), cfg, replay.Options{})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

func differences(rep *replay.Report) string {
	var b strings.Builder
	for _, d := range rep.Differences {
		fmt.Fprintln(&b, d)
	}
	return b.String()
}

func fold(t *testing.T, cfg kafka.Config) *replay.Log {
	t.Helper()
	l, err := replay.FoldLog(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestVerifyUnderTraffic verifies, several times, while events keep
// arriving and the processors fold them: a row behind the log is no
// difference, and neither is a users table behind the rooms table.
func TestVerifyUnderTraffic(t *testing.T) {
	cfg := testenv.Kafka(t, 4)
	testenv.RunProcessors(t, cfg, t.TempDir())
	w := newWriter(t, cfg)
	w.traffic(context.Background(), 1, 8, 6, 200)
	waitCaughtUp(t, cfg)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.traffic(ctx, 10, 8, 6, 0)
	}()
	for i := range 2 {
		rep := verify(t, cfg)
		t.Logf("verify %d: %d records, %d rooms, %d users, %d unprocessed, notes %v", i, rep.Records, rep.Rooms, rep.Users, rep.Unprocessed, rep.Notes)
		if !rep.OK() || rep.Rooms == 0 || rep.Users == 0 || len(rep.Unverifiable) > 0 || len(rep.Truncated) > 0 {
			t.Errorf("verify %d under traffic: %+v\n%s", i, rep, differences(rep))
		}
	}
	cancel()
	wg.Wait()
	waitCaughtUp(t, cfg)
	rep := verify(t, cfg)
	if l := fold(t, cfg); !rep.OK() || rep.Rooms != len(l.Rooms) || rep.Users != len(l.Users) || rep.Unprocessed != 0 || len(rep.Notes) > 0 {
		t.Fatalf("verify at rest: %+v (log: %d rooms, %d users)\n%s", rep, len(l.Rooms), len(l.Users), differences(rep))
	}
}

// TestCorruptionThenRebuild corrupts a room row and a user row in the table
// topics, checks that verify names both, that rebuild refuses while the
// processors run, and that after it processors started with their old state
// directory compute the right tables again.
func TestCorruptionThenRebuild(t *testing.T) {
	cfg := testenv.Kafka(t, 4)
	dir := t.TempDir()
	stop := testenv.RunProcessors(t, cfg, dir)
	w := newWriter(t, cfg)
	w.traffic(context.Background(), 3, 6, 5, 250)
	waitCaughtUp(t, cfg)
	if rep := verify(t, cfg); !rep.OK() {
		t.Fatalf("before the corruption: %s", differences(rep))
	}

	l := fold(t, cfg)
	room := l.Rooms["room-1"]
	good := room.Messages
	room.Messages += 5
	// And a user's unread count in it.
	reader := slices.Sorted(maps.Keys(room.Reads))[0]
	room.Reads[reader].Count += 7
	badReads, _ := json.Marshal(room.Reads[reader])
	// And its rules.
	room.Owner, room.Banned = "mallory", []string{"zed"}
	b, _ := codec.RoomCodec{}.Encode(room)
	writeRow(t, cfg, string(cfg.Names.RoomsTable()), "room-1", b)
	user := l.Users["user-2"]
	var in string
	for r := range user.Rooms {
		in = r
		break
	}
	user.Rooms[in].Sessions = map[string]string{"ghost": "srv-9"}
	b, _ = codec.UserCodec{}.Encode(user)
	writeRow(t, cfg, string(cfg.Names.UsersTable()), "user-2", b)

	// Rows lost: the processors committed events these rows lack.
	writeRow(t, cfg, string(cfg.Names.RoomsTable()), "room-3", nil)
	writeRow(t, cfg, string(cfg.Names.UsersTable()), "user-4", nil)

	rep := verify(t, cfg)
	var got []string
	for _, d := range rep.Differences {
		got = append(got, d.Table+" "+d.Key+" "+d.Field+" "+d.InTable)
	}
	want := []string{
		`rooms room-1 banned ["zed"]`,
		fmt.Sprintf("rooms room-1 messages %d", good+5),
		`rooms room-1 owner "mallory"`,
		fmt.Sprintf("rooms room-1 reads.%s %s", reader, badReads),
		"rooms room-3 row none",
	}
	want = append(want, fmt.Sprintf("users user-2 rooms.%s.sessions %s", in, `{"ghost":"srv-9"}`))
	for _, r := range slices.Sorted(maps.Keys(l.Users["user-4"].Rooms)) {
		want = append(want, fmt.Sprintf("users user-4 rooms.%s.applied none", r))
	}
	if !slices.Equal(got, want) || rep.Differences[1].InLog != fmt.Sprint(good) {
		t.Fatalf("after the corruption:\n%s want\n%s", differences(rep), strings.Join(want, "\n"))
	}

	var running *replay.RunningError
	if _, err := replay.PlanRebuild(context.Background(), cfg); !errors.As(err, &running) {
		t.Fatalf("rebuild while processors run: %v", err)
	}
	groups := map[string]int{}
	for _, m := range running.Members {
		if m.MemberID == "" || m.Host == "" {
			t.Errorf("member %+v lacks an id or host", m)
		}
		groups[m.Group]++
	}
	if groups[string(cfg.Names.RoomsGroup)] != 1 || groups[string(cfg.Names.UsersGroup)] != 1 || !strings.Contains(running.Error(), running.Members[0].MemberID) {
		t.Fatalf("running members %+v: %v", running.Members, running)
	}

	stop()
	plan, err := replay.PlanRebuild(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	keys := plan.Tombstones[string(cfg.Names.RoomsTable())]
	var all []string
	for _, ks := range keys {
		all = append(all, ks...)
	}
	sort.Strings(all)
	if len(all) != len(l.Rooms)-1 || !slices.Contains(all, "room-1") || slices.Contains(all, "room-3") || len(plan.Presence) == 0 || len(plan.Truncated) != 0 {
		t.Fatalf("plan: %+v", plan)
	}
	if err := plan.Execute(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, cfg); rep.Rooms != 0 || rep.Users != 0 || rep.Unprocessed != rep.Records {
		t.Fatalf("after the reset the tables are not empty or the groups kept offsets: %+v", rep)
	}

	written := topicEnd(t, cfg, string(cfg.Names.RoomsTable()))
	testenv.RunProcessors(t, cfg, dir) // the old state directory, with the stale rows
	waitCaughtUp(t, cfg)
	rep = verify(t, cfg)
	if !rep.OK() || rep.Rooms != len(l.Rooms) || rep.Users != len(l.Users) {
		t.Fatalf("after the rebuild: %+v\n%s", rep, differences(rep))
	}
	// The rows were computed again, event by event: stale local rows would
	// have made the processors skip every event as already applied.
	if n := topicEnd(t, cfg, string(cfg.Names.RoomsTable())) - written; n < rep.Records/2 {
		t.Fatalf("the rooms processors wrote %d rows for %d events: they kept stale rows", n, rep.Records)
	}
	if again := fold(t, cfg); again.Rooms["room-1"].Messages != good {
		t.Fatalf("room-1 has %d messages in the log, want %d", again.Rooms["room-1"].Messages, good)
	}
}

// TestVerifyRetention deletes the early part of every partition, as
// retention would: the rooms that began before the cut are reported as
// unverifiable instead of as differences, the rooms that began after it are
// verified, and a corrupted one among them is still found.
func TestVerifyRetention(t *testing.T) {
	cfg := testenv.Kafka(t, 4)
	testenv.RunProcessors(t, cfg, t.TempDir())
	w := newWriter(t, cfg)
	var old []string
	for i := range 6 {
		room := fmt.Sprint("room-", i)
		old = append(old, room)
		w.event(codec.Join, room, "user-0", "first-"+room)
	}
	w.traffic(context.Background(), 5, 6, 4, 100)
	waitCaughtUp(t, cfg)
	l := fold(t, cfg)
	for p, end := range l.End {
		deleteBefore(t, cfg, int32(p), end)
	}
	w.traffic(context.Background(), 6, 10, 4, 200) // rooms 6 to 9 are new
	waitCaughtUp(t, cfg)

	rep := verify(t, cfg)
	if !rep.OK() || !slices.Equal(rep.Unverifiable, old) || len(rep.Truncated) != cfg.Partitions || rep.Rooms != 10 || len(rep.PartialUsers) == 0 {
		t.Fatalf("after retention: %+v\n%s", rep, differences(rep))
	}

	l = fold(t, cfg)
	room := l.Rooms["room-7"]
	room.Messages += 5
	b, _ := codec.RoomCodec{}.Encode(room)
	writeRow(t, cfg, string(cfg.Names.RoomsTable()), "room-7", b)
	rep = verify(t, cfg)
	want := replay.Difference{Table: "rooms", Key: "room-7", Field: "messages", InTable: fmt.Sprint(room.Messages), InLog: fmt.Sprint(room.Messages - 5)}
	if len(rep.Differences) != 1 || rep.Differences[0] != want || !slices.Equal(rep.Unverifiable, old) {
		t.Fatalf("a corrupted room created after the cut: %+v\n%s", rep, differences(rep))
	}
}
