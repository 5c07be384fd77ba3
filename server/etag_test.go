package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// tagged is a list answer: status, ETag and body.
type tagged struct {
	status int
	etag   string
	body   []byte
}

// getTagged sends GET url with If-None-Match inm (none when empty).
func getTagged(t *testing.T, url, inm string) tagged {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if inm != "" {
		req.Header.Set("If-None-Match", inm)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return tagged{resp.StatusCode, resp.Header.Get("ETag"), body}
}

// waitList waits until GET url, sent with If-None-Match inm, answers 200
// with a list that ok accepts, and returns that answer.
func waitList[T any](t *testing.T, url, inm string, ok func(T) error) tagged {
	t.Helper()
	var got tagged
	testenv.WaitFor(t, 20*time.Second, func() error {
		got = getTagged(t, url, inm)
		if got.status != 200 || got.etag == "" {
			return fmt.Errorf("GET %s: %d, ETag %q: %s", url, got.status, got.etag, got.body)
		}
		var list T
		if err := json.Unmarshal(got.body, &list); err != nil {
			return err
		}
		return ok(list)
	})
	return got
}

// settled waits until GET url answers 200 and the same GET with its tag
// answers 304 with that tag and no body, and returns the 200. A table may
// take records that change no row of a page (a group that rebalanced
// writes a row again as it folds an event again), and the tag moves with
// them: two reads agree once it stopped moving.
func settled(t *testing.T, url string) tagged {
	t.Helper()
	var got tagged
	testenv.WaitFor(t, 20*time.Second, func() error {
		got = getTagged(t, url, "")
		if got.status != 200 || got.etag == "" {
			return fmt.Errorf("GET %s: %d, ETag %q: %s", url, got.status, got.etag, got.body)
		}
		if again := getTagged(t, url, got.etag); again.status != 304 || len(again.body) != 0 || again.etag != got.etag {
			return fmt.Errorf("GET %s with its tag %q: %d, ETag %q, body %q; want 304, the tag, no body", url, got.etag, again.status, again.etag, again.body)
		}
		return nil
	})
	return got
}

type roomList struct {
	Rooms []struct {
		Room     string
		Members  int
		Messages int
	}
}

type userList struct {
	Users []struct{ User string }
}

// TestListETagsFollowTheTables: on a real stack, a list's ETag stays while
// its table is unchanged and If-None-Match with it answers 304 with no
// body; a join and a message change the rooms table and answer 200 with a
// new tag; the users list moves with the join and the leave; queries have
// tags of their own; a second server on the same log, once it applied the
// same records, answers the same tag (and 304 to the first server's); a
// bad request answers 400 whatever If-None-Match says.
func TestListETagsFollowTheTables(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{APIKey: "k3y"})
	rooms := s.http.URL + "/api/rooms"
	users := s.http.URL + "/api/users?online=true"

	emptyUsers := waitList(t, users, "", func(l userList) error { return nil })
	alice := s.dial("alice")
	alice.Send(frame{"op": "join", "room": "news", "ref": "j"})
	alice.Expect("snapshot", frame{"room": "news", "ref": "j"})

	joined := waitList(t, rooms, "", func(l roomList) error {
		if len(l.Rooms) != 1 || l.Rooms[0].Room != "news" || l.Rooms[0].Members != 1 {
			return fmt.Errorf("rooms %+v, want news with alice", l.Rooms)
		}
		return nil
	})
	if again := settled(t, rooms); string(again.body) != string(joined.body) {
		t.Errorf("GET /api/rooms again: %s, want %s", again.body, joined.body)
	} else {
		joined = again
	}
	if prefixed := getTagged(t, rooms+"?prefix=ne", ""); prefixed.status != 200 || prefixed.etag == joined.etag || string(prefixed.body) != string(joined.body) {
		t.Errorf("GET /api/rooms?prefix=ne: %d, ETag %q; want 200, the same rooms under another tag than %q", prefixed.status, prefixed.etag, joined.etag)
	}
	if got := getTagged(t, rooms+"?limit=abc", joined.etag); got.status != 400 || got.etag != "" {
		t.Errorf("GET /api/rooms?limit=abc with a current tag: %d, ETag %q; want 400 without a tag", got.status, got.etag)
	}

	online := waitList(t, users, emptyUsers.etag, func(l userList) error {
		if len(l.Users) != 1 || l.Users[0].User != "alice" {
			return fmt.Errorf("users %+v, want alice", l.Users)
		}
		return nil
	})
	if online.etag == emptyUsers.etag {
		t.Errorf("the users list changed under the same tag %q", online.etag)
	}

	// A second server on the same log answers the same tag for the same
	// rooms, and 304 to the first server's tag.
	_, hs2, _ := startServer(t, s.kcfg, t.TempDir(), server.Config{ServerID: "s2", APIKey: "k3y"})
	testenv.WaitFor(t, 20*time.Second, func() error {
		first := getTagged(t, rooms, "")
		if got := getTagged(t, hs2.URL+"/api/rooms", first.etag); got.status != 304 {
			return fmt.Errorf("the second server: %d, ETag %q, want 304 to %q", got.status, got.etag, first.etag)
		}
		return nil
	})

	if st, out := post(t, rooms+"/news/messages", "k3y", `{"user":"bot","text":"hi"}`); st != 200 {
		t.Fatalf("post: %d %v", st, out)
	}
	posted := waitList(t, rooms, joined.etag, func(l roomList) error {
		if len(l.Rooms) != 1 || l.Rooms[0].Messages != 1 {
			return fmt.Errorf("rooms %+v, want news with a message", l.Rooms)
		}
		return nil
	})
	if posted.etag == joined.etag {
		t.Errorf("the rooms list changed under the same tag %q", posted.etag)
	}
	if again := settled(t, rooms); string(again.body) != string(posted.body) {
		t.Errorf("GET /api/rooms after the message: %s, want %s", again.body, posted.body)
	}

	alice.Send(frame{"op": "leave", "room": "news"})
	left := waitList(t, users, online.etag, func(l userList) error {
		if len(l.Users) != 0 {
			return fmt.Errorf("users %+v, want none online", l.Users)
		}
		return nil
	})
	if left.etag == online.etag {
		t.Errorf("the users list changed under the same tag %q", left.etag)
	}
}
