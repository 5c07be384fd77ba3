package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
