package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// TestQueriesAndDebugAgainstDev runs dev with the debug address and both
// secrets given as flags, global ones after the command, and a room with
// one message in it.
func TestQueriesAndDebugAgainstDev(t *testing.T) {
	const secret, key = "s3cret-for-the-debug-test", "k3y-for-the-debug-test"
	debug := freeAddr(t)
	d := startDev(t, t.TempDir(), "--debug-addr", debug, "--log-format", "json", "--auth-secret", secret, "--api-key", key)
	req, _ := http.NewRequest("POST", d.url+"/api/rooms/lobby/messages", strings.NewReader(`{"user":"bot","text":"hi"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("post: %d", resp.StatusCode)
	}

	t.Run("flags after arguments", func(t *testing.T) {
		var room map[string]any
		testenv.WaitFor(t, 30*time.Second, func() error {
			r := runSplit(t, nil, "rooms", "lobby", "--json", "--brokers", d.broker, "--timeout", "20s")
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &room) != nil || room["messages"] != 1.0 {
				return fmt.Errorf("rooms lobby --json --brokers: %+v", r)
			}
			return nil
		})
		if room["room"] != "lobby" {
			t.Errorf("rooms lobby --json: %v", room)
		}
		r := runSplit(t, nil, "rooms", "--brokers", d.broker, "--prefix", "lob", "--json")
		var list struct{ Rooms []map[string]any }
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &list) != nil || len(list.Rooms) != 1 || list.Rooms[0]["room"] != "lobby" {
			t.Errorf("rooms --brokers --prefix --json: %+v", r)
		}
	})

	t.Run("rooms ROOM shows the rules", func(t *testing.T) {
		dial := func(user string) *testenv.Client {
			tok, err := run(t, "token", "--user", user, "--auth-secret", secret)
			if err != nil {
				t.Fatalf("token: %v %s", err, tok)
			}
			return testenv.DialQuery(t, d.url, "token="+strings.TrimSpace(tok), user)
		}
		alice, bob := dial("alice"), dial("bob")
		alice.Send(testenv.Frame{"op": "join", "room": "club"})
		alice.Expect("snapshot", testenv.Frame{"room": "club"})
		alice.ExpectEvent("club", "join", "alice")
		bob.Send(testenv.Frame{"op": "join", "room": "club"})
		bob.Expect("snapshot", testenv.Frame{"room": "club"})
		alice.ExpectEvent("club", "join", "bob")
		for i, f := range []testenv.Frame{
			{"op": "role", "room": "club", "user": "bob", "role": "moderator"},
			{"op": "settings", "room": "club", "private": true, "topic": "members \"only\""},
			{"op": "ban", "room": "club", "user": "carol", "on": true},
			{"op": "mute", "room": "club", "user": "dave", "on": true},
			{"op": "mute", "room": "club", "user": "erin", "on": true},
		} {
			f["ref"] = i
			alice.Send(f)
			alice.AckAndEvent(i, f["op"].(string))
		}
		// The table has a line for every field of --json, the rules
		// included, then one per member.
		want := []string{
			`room        club`,
			`cursor      \d+`,
			`epoch       [0-9a-f]{16}`,
			`messages    0`,
			`created     \S+Z`,
			`updated     \S+Z`,
			`owner       alice`,
			`moderators  bob`,
			`private     yes`,
			`topic       "members \\"only\\""`,
			`banned      carol`,
			`muted       dave, erin`,
			`members     2`,
			`  alice \(1 sessions\)`,
			`  bob \(1 sessions\)`,
		}
		var r result
		testenv.WaitFor(t, 30*time.Second, func() error {
			r = runSplit(t, nil, "rooms", "club", "--brokers", d.broker)
			if r.code != 0 || !strings.Contains(r.stdout, "muted       dave, erin") {
				return fmt.Errorf("rooms club: %+v", r)
			}
			return nil
		})
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != len(want) {
			t.Fatalf("rooms club printed %d lines, want %d:\n%s", len(lines), len(want), r.stdout)
		}
		for i, w := range want {
			if !regexp.MustCompile("^" + w + "$").MatchString(lines[i]) {
				t.Errorf("line %d of rooms club is %q, want %q", i+1, lines[i], w)
			}
		}
		// --json has the same fields, unchanged.
		var room map[string]any
		r = runSplit(t, nil, "rooms", "club", "--json", "--brokers", d.broker)
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &room) != nil {
			t.Fatalf("rooms club --json: %+v", r)
		}
		for k, v := range map[string]any{"owner": "alice", "moderators": []any{"bob"}, "private": true, "topic": `members "only"`,
			"banned": []any{"carol"}, "muted": []any{"dave", "erin"}} {
			if ok, _ := testenv.JSONEqual(room[k], v); !ok {
				t.Errorf("rooms club --json: %s is %v, want %v", k, room[k], v)
			}
		}
	})

	t.Run("replay --json", func(t *testing.T) {
		plain := runSplit(t, nil, "--brokers", d.broker, "replay", "--room", "lobby")
		withJSON := runSplit(t, nil, "replay", "--room", "lobby", "--json", "--brokers", d.broker)
		var room map[string]any
		if withJSON.code != 0 || json.Unmarshal([]byte(withJSON.stdout), &room) != nil || room["room"] != "lobby" || room["messages"] != 1.0 {
			t.Fatalf("replay --json: %+v", withJSON)
		}
		if plain.code != 0 || plain.stdout != withJSON.stdout {
			t.Errorf("replay without --json printed %q, with it %q", plain.stdout, withJSON.stdout)
		}
		events := runSplit(t, nil, "replay", "--events", "--json", "--room", "lobby", "--brokers", d.broker)
		var ev struct{ Events []map[string]any }
		if events.code != 0 || json.Unmarshal([]byte(events.stdout), &ev) != nil || len(ev.Events) != 1 {
			t.Errorf("replay --events --json: %+v", events)
		}
	})

	t.Run("debug address hides the secrets", func(t *testing.T) {
		get := func(path string) (int, string) {
			t.Helper()
			resp, err := http.Get("http://" + debug + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if code, body := get("/debug/pprof/cmdline"); code != 404 || body != "not served: the command line holds secrets\n" {
			t.Errorf("cmdline: %d %q", code, body)
		}
		if code, body := get("/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
			t.Errorf("the profiles are not served: %d %.200q", code, body)
		}
		for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/goroutine?debug=2", "/debug/pprof/symbol"} {
			if _, body := get(path); strings.Contains(body, secret) || strings.Contains(body, key) {
				t.Errorf("%s shows a secret", path)
			}
		}
	})
	d.stop(t)
}
