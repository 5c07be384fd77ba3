package httpapi

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chatstate/chatstate/codec"
)

// answer is a response's status, tag and body.
type answer struct {
	status int
	etag   string
	cache  string
	body   string
}

// get sends GET path with If-None-Match set to inm (none when empty).
func (f *fixture) get(t *testing.T, path, inm string) answer {
	t.Helper()
	req, err := http.NewRequest("GET", f.url+path, nil)
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
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"), string(b)}
}

// TestListsAnswerNotModifiedWhileTheTableIsUnchanged: each list answers 200
// with a strong ETag; the same query on the same table version answers the
// same tag, and 304 with no body to If-None-Match naming it (alone, in a
// list, weak, or "*"); a new table version answers a new tag and 200;
// different queries have different tags, and queries that the handler reads
// alike (limit absent or 100, online absent or false) the same one.
func TestListsAnswerNotModifiedWhileTheTableIsUnchanged(t *testing.T) {
	f := newFixture(t)
	rooms := f.cfg.Rooms.(*memTable[codec.RoomState])
	users := f.cfg.Users.(*memTable[codec.UserState])
	for _, tc := range []struct {
		path, alike string
		version     *atomic.Int64
	}{
		{"/api/rooms?prefix=new", "/api/rooms?prefix=new&limit=100", &rooms.version},
		{"/api/users?online=true", "/api/users?online=1&limit=1000", &users.version},
		{"/api/users", "/api/users?online=false", &users.version},
	} {
		first := f.get(t, tc.path, "")
		if first.status != 200 || len(first.etag) < 3 || !strings.HasPrefix(first.etag, `"`) || first.cache != "no-cache" {
			t.Fatalf("GET %s: %d, ETag %q, Cache-Control %q; want 200 with a strong tag and no-cache", tc.path, first.status, first.etag, first.cache)
		}
		if again := f.get(t, tc.path, ""); again != first {
			t.Errorf("GET %s again on the same table: %+v, want %+v", tc.path, again, first)
		}
		if alike := f.get(t, tc.alike, ""); alike.etag != first.etag || alike.body != first.body {
			t.Errorf("GET %s: tag %s, want that of %s: %s", tc.alike, alike.etag, tc.path, first.etag)
		}
		for _, inm := range []string{first.etag, `"other", ` + first.etag, "W/" + first.etag, "*"} {
			if got := f.get(t, tc.path, inm); got.status != 304 || got.body != "" || got.etag != first.etag {
				t.Errorf("GET %s with If-None-Match %s: %d, ETag %q, body %q; want 304, the tag, no body", tc.path, inm, got.status, got.etag, got.body)
			}
		}
		if got := f.get(t, tc.path, `"other"`); got != first {
			t.Errorf("GET %s with another tag: %+v, want %+v", tc.path, got, first)
		}
		tc.version.Add(1)
		changed := f.get(t, tc.path, first.etag)
		if changed.status != 200 || changed.etag == first.etag || changed.etag == "" || changed.body != first.body {
			t.Errorf("GET %s after the table changed: %d, ETag %q (was %q); want 200, a new tag, the same rows", tc.path, changed.status, changed.etag, first.etag)
		}
		if got := f.get(t, tc.path, changed.etag); got.status != 304 {
			t.Errorf("GET %s with the new tag: %d, want 304", tc.path, got.status)
		}
	}

	// Queries that answer differently have different tags.
	tags := map[string]string{}
	for _, path := range []string{"/api/rooms", "/api/rooms?prefix=new", "/api/rooms?prefix=ne", "/api/rooms?limit=1",
		"/api/users", "/api/users?online=true", "/api/users?prefix=a", "/api/users?limit=1"} {
		got := f.get(t, path, "")
		if other, ok := tags[got.etag]; ok || got.status != 200 {
			t.Errorf("GET %s: %d, tag %s, that of %s too", path, got.status, got.etag, other)
		}
		tags[got.etag] = path
	}
}

// TestBadListRequestsIgnoreIfNoneMatch: a refused list request answers its
// 400 whatever If-None-Match says, "*" included, and without a tag.
func TestBadListRequestsIgnoreIfNoneMatch(t *testing.T) {
	f := newFixture(t)
	tag := f.get(t, "/api/rooms", "").etag
	for _, path := range []string{"/api/rooms?limit=0", "/api/rooms?prefix=-x", "/api/users?online=yes", "/api/users?limit=x"} {
		for _, inm := range []string{"", tag, "*"} {
			if got := f.get(t, path, inm); got.status != 400 || got.etag != "" || !strings.Contains(got.body, `"bad_request"`) {
				t.Errorf("GET %s with If-None-Match %q: %d, ETag %q, %s; want 400 bad_request without a tag", path, inm, got.status, got.etag, got.body)
			}
		}
	}
	// Before the server is ready, 503 whatever If-None-Match says.
	f.ready.Store(false)
	if got := f.get(t, "/api/rooms", "*"); got.status != 503 || got.etag != "" {
		t.Errorf("GET /api/rooms before ready with If-None-Match *: %d, ETag %q; want 503 without a tag", got.status, got.etag)
	}
}

// TestAListWithoutAVersionIsUntagged: when the table cannot say its version
// the list answers 200 as it did before tags, If-None-Match or not.
func TestAListWithoutAVersionIsUntagged(t *testing.T) {
	f := newFixture(t)
	f.cfg.Rooms.(*memTable[codec.RoomState]).versionErr = io.ErrUnexpectedEOF
	plain := f.get(t, "/api/rooms", "")
	if plain.status != 200 || plain.etag != "" || plain.cache != "" {
		t.Fatalf("GET /api/rooms without a version: %+v, want 200 without a tag", plain)
	}
	if got := f.get(t, "/api/rooms", "*"); got != plain {
		t.Errorf("GET /api/rooms without a version, If-None-Match *: %+v, want %+v", got, plain)
	}
}
