package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

func post(t *testing.T, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func errCode(m map[string]any) any {
	e, _ := m["error"].(map[string]any)
	return e["code"]
}

func TestHTTPAPI(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{APIKey: "k3y"})
	base := s.http.URL
	msgURL := base + "/api/rooms/news/messages"

	for _, tc := range []struct {
		name, key, body string
		status          int
		code            string
	}{
		{"no key", "", `{"user":"bot","text":"hi"}`, 401, "unauthorized"},
		{"wrong key", "nope", `{"user":"bot","text":"hi"}`, 401, "unauthorized"},
		{"not json", "k3y", `hi`, 400, "bad_request"},
		{"bad user", "k3y", `{"user":"-x","text":"hi"}`, 400, "bad_request"},
		{"no text", "k3y", `{"user":"bot"}`, 400, "bad_request"},
		{"text too long", "k3y", `{"user":"bot","text":"` + strings.Repeat("y", 4097) + `"}`, 413, "too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, out := post(t, msgURL, tc.key, tc.body)
			if st != tc.status || errCode(out) != tc.code {
				t.Fatalf("got %d %v, want %d %s", st, out, tc.status, tc.code)
			}
		})
	}

	var cursors []float64
	for i := range 3 {
		st, out := post(t, msgURL, "k3y", fmt.Sprintf(`{"user":"bot","text":"news %d"}`, i))
		if st != 200 || out["cursor"] == nil {
			t.Fatalf("post: %d %v", st, out)
		}
		cursors = append(cursors, out["cursor"].(float64))
	}
	// Another room's traffic must not show in this room's events.
	post(t, base+"/api/rooms/other/messages", "k3y", `{"user":"bot","text":"elsewhere"}`)

	var ev struct {
		Events []struct {
			Cursor float64        `json:"cursor"`
			Event  map[string]any `json:"event"`
		} `json:"events"`
		Next      float64 `json:"next"`
		Truncated bool    `json:"truncated"`
	}
	if st := getJSON(t, base+"/api/rooms/news/events?limit=2", &ev); st != 200 || len(ev.Events) != 2 || ev.Truncated {
		t.Fatalf("events: %d %+v", st, ev)
	}
	if ev.Events[0].Cursor != cursors[0] || ev.Events[1].Event["text"] != "news 1" || ev.Next != cursors[1] {
		t.Fatalf("first page %+v, want cursors %v", ev, cursors)
	}
	next := ev.Next
	ev.Events = nil
	getJSON(t, fmt.Sprintf("%s/api/rooms/news/events?after=%d", base, int64(next)), &ev)
	if len(ev.Events) != 1 || ev.Events[0].Cursor != cursors[2] || ev.Events[0].Event["room"] != "news" {
		t.Fatalf("second page %+v", ev)
	}
	// Past the end, and after the largest cursor: nothing, nothing cut off.
	for _, after := range []int64{int64(cursors[2]), math.MaxInt64} {
		var page map[string]any
		if st := getJSON(t, fmt.Sprintf("%s/api/rooms/news/events?after=%d", base, after), &page); st != 200 || fmt.Sprint(page["events"]) != "[]" || page["truncated"] != false || page["next"] != float64(after) {
			t.Fatalf("events after %d: %d %v", after, st, page)
		}
	}
	// A room never seen answers 404, as GET /api/rooms/{room} does, which a
	// private room asked about without the key answers too.
	var never map[string]any
	if st := getJSON(t, base+"/api/rooms/never/events", &never); st != 404 || fmt.Sprint(never["error"]) != "map[code:not_found message:room never was never seen]" {
		t.Fatalf("events of a room never seen: %d %v", st, never)
	}

	testenv.WaitFor(t, 20*time.Second, func() error {
		var room map[string]any
		if st := getJSON(t, base+"/api/rooms/news", &room); st != 200 || room["messages"] != 3.0 || room["cursor"] != cursors[2] || room["epoch"] != s.srv.Epoch() {
			return fmt.Errorf("room %d %v", st, room)
		}
		return nil
	})
	var list struct{ Rooms []map[string]any }
	getJSON(t, base+"/api/rooms?prefix=ne", &list)
	if len(list.Rooms) != 1 || list.Rooms[0]["room"] != "news" || list.Rooms[0]["messages"] != 3.0 || list.Rooms[0]["members"] != 0.0 {
		t.Fatalf("rooms %v", list)
	}
	getJSON(t, base+"/api/rooms?limit=1", &list)
	if len(list.Rooms) != 1 || list.Rooms[0]["room"] != "news" {
		t.Fatalf("rooms limit 1: %v", list)
	}

	for _, tc := range []struct {
		url     string
		status  int
		code    string
		message string // "": any
	}{
		{"/api/rooms/never", 404, "not_found", ""},
		{"/api/users/nobody", 404, "not_found", ""},
		{"/api/rooms/bad%20name", 400, "bad_request", ""},
		{"/api/rooms?limit=abc", 400, "bad_request", "limit must be an integer of at least 1"},
		{"/api/rooms/news/events?after=-5", 400, "bad_request", "after must be an integer of at least -1"},
		{"/api/users?online=maybe", 400, "bad_request", ""},
		// Present but empty is malformed, not the default.
		{"/api/users?online=", 400, "bad_request", "online must be true or false"},
		{"/api/rooms?limit=", 400, "bad_request", "limit must be an integer of at least 1"},
		{"/api/rooms/news?at=", 400, "bad_request", "at must be an integer of at least 0"},
		// Numbers beyond int64 are too large, not malformed.
		{"/api/rooms/news/events?after=1e30", 400, "bad_request", "after is too large: at most 9223372036854775807"},
		{"/api/rooms/news/events?after=99999999999999999999", 400, "bad_request", "after is too large: at most 9223372036854775807"},
		{"/api/rooms/news/events?after=1.5", 400, "bad_request", "after must be an integer of at least -1"},
		{"/api/rooms/news?at=99999999999999999999", 400, "bad_request", "at is too large: at most 9223372036854775807"},
		{"/api/rooms?limit=99999999999999999999", 400, "bad_request", "limit must be at most 10000"},
		{"/api/rooms/news/events?limit=1e30", 400, "bad_request", "limit must be at most 1000"},
		// A prefix no name can begin with is refused; the empty one is all.
		{"/api/rooms?prefix=bad%20x", 400, "bad_request", `prefix "bad x" cannot begin a name: names match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`},
		{"/api/rooms?prefix=-n", 400, "bad_request", `prefix "-n" cannot begin a name: names match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`},
		{"/api/users?prefix=a%2Fb", 400, "bad_request", `prefix "a/b" cannot begin a name: names match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`},
	} {
		var out map[string]any
		st := getJSON(t, base+tc.url, &out)
		e, _ := out["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if st != tc.status || errCode(out) != tc.code || tc.message != "" && msg != tc.message {
			t.Errorf("GET %s: %d %v, want %d %s %q", tc.url, st, out, tc.status, tc.code, tc.message)
		}
	}
	var all struct{ Rooms []map[string]any }
	if st := getJSON(t, base+"/api/rooms?prefix=", &all); st != 200 || len(all.Rooms) != 2 {
		t.Errorf("GET /api/rooms?prefix=: %d %v, want both rooms", st, all)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		var out map[string]any
		if st := getJSON(t, base+p, &out); st != 200 {
			t.Errorf("%s: %d %v", p, st, out)
		}
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("metrics: %v %v", resp, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"chatstate_connections ", "chatstate_produce_seconds_count 4", "chatstate_ready 1"} {
		if !strings.Contains(string(body), name) {
			t.Errorf("metrics lack %q", name)
		}
	}
	resp, err = http.Get(base + "/")
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestPostWithoutAPIKeyConfiguredIsForbidden(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	st, out := post(t, s.http.URL+"/api/rooms/r/messages", "anything", `{"user":"u","text":"t"}`)
	if st != 403 || errCode(out) != "forbidden" {
		t.Fatalf("got %d %v", st, out)
	}
}
