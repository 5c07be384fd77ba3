package main_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/internal/testenv"
)

// realKafka returns the brokers of CHATSTATE_TEST_BROKERS, or skips: the
// scenarios with separate worker processes need a Kafka that outlives them
// (scripts/test-on-kafka starts one).
func realKafka(t *testing.T) string {
	t.Helper()
	b := os.Getenv("CHATSTATE_TEST_BROKERS")
	if b == "" {
		t.Skip("set CHATSTATE_TEST_BROKERS (scripts/test-on-kafka does) to run the scenarios with separate worker processes")
	}
	return b
}

// deployment is one chatstate deployment on a Kafka: its own topic prefix,
// any number of processor and server processes.
type deployment struct {
	brokers    string
	prefix     string
	partitions int
}

func newDeployment(brokers, name string, partitions int) *deployment {
	return &deployment{brokers: brokers, prefix: uniquePrefix(name), partitions: partitions}
}

// args are the global flags, with clientID, followed by cmd.
func (d *deployment) args(clientID string, cmd ...string) []string {
	return append([]string{"--brokers", d.brokers, "--topic-prefix", d.prefix,
		"--partitions", fmt.Sprint(d.partitions), "--client-id", clientID}, cmd...)
}

// processor starts `chatstate processor` with client id name.
func (d *deployment) processor(t *testing.T, name string) *worker {
	t.Helper()
	w := startWorker(t, name, d.args(name, "processor", "--state-dir", t.TempDir())...)
	w.waitLog(t, 60*time.Second, "processor started")
	return w
}

// server starts `chatstate server` with id and the extra flags, and waits
// until it is ready.
func (d *deployment) server(t *testing.T, id string, extra ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	args := d.args(id, "server", "--http", addr, "--server-id", id,
		"--state-dir", t.TempDir(), "--send-rate", "1000", "--send-burst", "1000")
	return startProc(t, addr, append(args, extra...)...)
}

// assignment returns the partitions of the events topic that each member of
// the rooms group holds, by client id.
func (d *deployment) assignment(group string) (map[string][]int32, error) {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	admin, err := sarama.NewClusterAdmin(strings.Split(d.brokers, ","), cfg)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	descs, err := admin.DescribeConsumerGroups([]string{d.prefix + "-" + group})
	if err != nil {
		return nil, err
	}
	out := map[string][]int32{}
	for _, g := range descs {
		for _, m := range g.Members {
			a, err := m.GetMemberAssignment()
			if err != nil {
				return nil, err
			}
			var parts []int32
			if a != nil {
				for _, ps := range a.Topics {
					parts = append(parts, ps...)
				}
			}
			slices.Sort(parts)
			out[m.ClientId] = parts
		}
	}
	return out, nil
}

// waitShared waits until the rooms and users groups have exactly the
// processors named as members, each holding some partitions, together all,
// none twice.
func (d *deployment) waitShared(t *testing.T, names ...string) map[string][]int32 {
	t.Helper()
	all := map[string][]int32{}
	for _, group := range []string{"rooms", "users"} {
		var a map[string][]int32
		testenv.WaitFor(t, 90*time.Second, func() error {
			var err error
			if a, err = d.assignment(group); err != nil {
				return err
			}
			if len(a) != len(names) {
				return fmt.Errorf("%s group: members %v, want %v", group, a, names)
			}
			seen := map[int32]bool{}
			for _, n := range names {
				parts, ok := a[n+"-"+group]
				if !ok || len(parts) == 0 {
					return fmt.Errorf("%s group: %s holds nothing: %v", group, n, a)
				}
				for _, p := range parts {
					if seen[p] {
						return fmt.Errorf("%s group: partition %d held twice: %v", group, p, a)
					}
					seen[p] = true
				}
			}
			if len(seen) != d.partitions {
				return fmt.Errorf("%s group: %d of %d partitions held: %v", group, len(seen), d.partitions, a)
			}
			return nil
		})
		maps.Copy(all, a)
	}
	return all
}

// checkLog checks every room the chatters used against the log and the
// tables of every server: each acked message is in the log exactly once,
// nothing is there twice, nothing there was never sent, a refused message is
// there at most once; and, on every server, the room's count and cursor are
// the log's. It returns how many messages each room holds.
func checkLog(t *testing.T, urls []string, chatters []*chatter) map[string]int {
	t.Helper()
	acked, refused := map[string]map[string]bool{}, map[string]map[string]bool{}
	for _, ch := range chatters {
		for room, texts := range ch.acked {
			for _, x := range texts {
				set(acked, room)[x] = true
			}
		}
		for room, texts := range ch.refused {
			for _, x := range texts {
				set(refused, room)[x] = true
			}
		}
	}
	counts := map[string]int{}
	for room := range acked {
		texts, last := roomMessages(t, urls[0], room)
		seen := map[string]bool{}
		for _, x := range texts {
			switch {
			case seen[x]:
				t.Errorf("%s holds %s twice", room, x)
			case !acked[room][x] && !refused[room][x]:
				t.Errorf("%s holds %s, which was never sent there", room, x)
			}
			seen[x] = true
		}
		for x := range acked[room] {
			if !seen[x] {
				t.Errorf("acked message %s is missing from %s", x, room)
			}
		}
		counts[room] = len(texts)
		for _, u := range urls {
			testenv.WaitFor(t, 60*time.Second, func() error {
				var info struct {
					Messages int
					Cursor   int64
				}
				if err := fetchJSON(u+"/api/rooms/"+room, &info); err != nil {
					return err
				}
				if info.Messages != len(texts) || info.Cursor < last {
					return fmt.Errorf("%s on %s: %d messages at cursor %d; the log holds %d up to %d", room, u, info.Messages, info.Cursor, len(texts), last)
				}
				return nil
			})
		}
	}
	return counts
}

func set(m map[string]map[string]bool, k string) map[string]bool {
	if m[k] == nil {
		m[k] = map[string]bool{}
	}
	return m[k]
}

// members is who a room's members should be: the chatters in it.
func members(chatters []*chatter) map[string][]string {
	out := map[string][]string{}
	for _, ch := range chatters {
		for _, r := range ch.rooms {
			out[r] = append(out[r], ch.user)
		}
	}
	for _, us := range out {
		sort.Strings(us)
	}
	return out
}

// checkMembers waits until every server lists exactly the chatters as the
// rooms' members, one session each, and as the online users.
func checkMembers(t *testing.T, urls []string, chatters []*chatter) {
	t.Helper()
	want := members(chatters)
	var online []string
	for _, ch := range chatters {
		online = append(online, ch.user)
	}
	sort.Strings(online)
	for _, u := range urls {
		testenv.WaitFor(t, 60*time.Second, func() error {
			for room, users := range want {
				var info struct {
					Members []struct {
						User     string
						Sessions int
					}
				}
				if err := fetchJSON(u+"/api/rooms/"+room, &info); err != nil {
					return err
				}
				var got []string
				for _, m := range info.Members {
					if m.Sessions != 1 {
						return fmt.Errorf("%s on %s: %s has %d sessions", room, u, m.User, m.Sessions)
					}
					got = append(got, m.User)
				}
				if !slices.Equal(got, users) {
					return fmt.Errorf("%s on %s: members %v, want %v", room, u, got, users)
				}
			}
			var us struct{ Users []struct{ User string } }
			if err := fetchJSON(u+"/api/users?online=true", &us); err != nil {
				return err
			}
			var got []string
			for _, x := range us.Users {
				got = append(got, x.User)
			}
			if !slices.Equal(got, online) {
				return fmt.Errorf("online on %s: %v, want %v", u, got, online)
			}
			return nil
		})
	}
}

// checkCLI runs `chatstate rooms` and `chatstate users --online` as separate
// processes and compares them with what the chatters did.
func checkCLI(t *testing.T, d *deployment, chatters []*chatter, counts map[string]int) {
	t.Helper()
	out, err := run(t, d.args("cli", "rooms", "--json", "--limit", "10000")...)
	var rooms struct {
		Rooms []struct {
			Room              string
			Members, Messages int
		}
	}
	if err != nil || json.Unmarshal([]byte(out), &rooms) != nil {
		t.Fatalf("chatstate rooms: %v %s", err, out)
	}
	want := members(chatters)
	if len(rooms.Rooms) != len(want) {
		t.Errorf("chatstate rooms lists %d rooms, want %d: %s", len(rooms.Rooms), len(want), out)
	}
	for _, r := range rooms.Rooms {
		if r.Members != len(want[r.Room]) || r.Messages != counts[r.Room] {
			t.Errorf("chatstate rooms: %+v, want %d members and %d messages", r, len(want[r.Room]), counts[r.Room])
		}
	}
	out, err = run(t, d.args("cli", "users", "--online", "--json")...)
	var users struct {
		Users []struct {
			User     string
			Sessions int
		}
	}
	if err != nil || json.Unmarshal([]byte(out), &users) != nil {
		t.Fatalf("chatstate users --online: %v %s", err, out)
	}
	if len(users.Users) != len(chatters) {
		t.Errorf("chatstate users --online lists %d users, want %d: %s", len(users.Users), len(chatters), out)
	}
}
