package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
)

// pollerScript drives the room list's poller (http.js) in the page against a
// scripted fetch that answers GET /api/rooms as the server does: 200 with
// the list and its ETag, 304 without a body to If-None-Match naming the
// current tag, 503 while failing. Each step awaits one poll; the report
// has what each request named in If-None-Match, the lists handed on and the
// failures.
const pollerScript = `(async () => {
	const { RoomListPoller } = await import('/http.js');
	let version = 1;
	let failing = false;
	const asked = [];
	window.fetch = async (url, init) => {
		const inm = (init && init.headers && init.headers['If-None-Match']) || '';
		asked.push(url + ' ' + inm);
		if (failing) return new Response('{"error":{"code":"unavailable","message":"x"}}', { status: 503 });
		const tag = '"v' + version + '"';
		if (inm === tag) return new Response(null, { status: 304, headers: { ETag: tag } });
		return new Response(JSON.stringify({ rooms: [{ room: 'r' + version }] }),
			{ status: 200, headers: { 'Content-Type': 'application/json', ETag: tag } });
	};
	const lists = [];
	let failures = 0;
	const p = new RoomListPoller({ intervalMs: 1e9,
		onRooms: (rooms) => lists.push(rooms.map((r) => r.room).join(',')),
		onFailure: () => { failures++; } });
	await p.refresh(); // 200 v1
	await p.refresh(); // 304
	await p.refresh(); // 304
	version = 2;
	await p.refresh(); // 200 v2
	await p.refresh(); // 304
	failing = true;
	await p.refresh(); // 503: a failure, the tag forgotten
	failing = false;
	await p.refresh(); // 200 v2 again, asked without a tag
	await p.refresh(); // 304
	return { asked, lists, failures };
})()`

// The room list's poller, alone in the browser against a scripted fetch:
// it names the last list's ETag in If-None-Match, hands on nothing (no
// re-render) when the answer is 304, hands on the new list when the tag
// changed, and after a failure asks without a tag, so that the list that
// follows replaces the failure's message.
func TestRoomListPollerSkipsUnchangedLists(t *testing.T) {
	path := chromiumPath(t)
	hs := httptest.NewServer(http.FileServer(http.Dir(staticDir)))
	t.Cleanup(hs.Close)
	b := startBrowser(t, path)
	p := b.open(t, "poller", hs.URL+"/")

	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](pollerScript, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run the poller: %v", err)
	}
	var r struct {
		Asked    []string
		Lists    []string
		Failures int
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("the poller's report %s: %v", raw, err)
	}
	wantAsked := []string{
		"/api/rooms ", `/api/rooms "v1"`, `/api/rooms "v1"`, `/api/rooms "v1"`, `/api/rooms "v2"`,
		`/api/rooms "v2"`, "/api/rooms ", `/api/rooms "v2"`,
	}
	if !slices.Equal(r.Asked, wantAsked) {
		t.Errorf("requests (URL and If-None-Match):\n%q\nwant\n%q", r.Asked, wantAsked)
	}
	if want := []string{"r1", "r2", "r2"}; !slices.Equal(r.Lists, want) {
		t.Errorf("lists handed on %q, want %q: one per 200, none per 304", r.Lists, want)
	}
	if r.Failures != 1 {
		t.Errorf("failures %d, want 1", r.Failures)
	}
}
