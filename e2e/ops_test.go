package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// JavaScript expressions that read the operator page.
const (
	jsOpsRooms = `[...document.querySelectorAll('[data-testid=ops-rooms] tbody tr')].map((tr) => tr.dataset.room + ':' + tr.querySelector('.members').textContent)`
	jsOpsUsers = `[...document.querySelectorAll('[data-testid=ops-users] tbody tr')].map((tr) => tr.dataset.user + ':' + tr.querySelector('.rooms').textContent + ':' + tr.querySelector('.sessions').textContent)`
	jsOpsRoom  = `[...document.querySelectorAll('[data-testid=ops-room-members] tbody tr')].map((tr) => tr.dataset.user + ':' + tr.querySelector('.sessions').textContent)`
)

// waitList waits until the expression, a list of strings, equals want.
func (p *page) waitList(what, expr string, want ...string) {
	p.t.Helper()
	if want == nil {
		want = []string{}
	}
	p.waitJS(what, `JSON.stringify(`+expr+`) === JSON.stringify(`+js(want)+`)`, stepTimeout)
}

// The operator page lists the rooms with their counts (sortable, filtered
// by prefix), shows one room's state and the active users, says the server
// is ready, and follows changes without a reload.
func TestOperatorPage(t *testing.T) {
	e := newEnv(t)

	// alice is in two rooms, bob in one of them.
	alice := e.browser.open(t, "alice", e.url+"/?user=alice&room=ops-a")
	alice.join("alice", "ops-a")
	alice.do("join a second room", setValue("room-input", "ops-b"), chromedp.Click(tid("join-button")))
	alice.waitJoined("alice", "ops-b")
	alice.send("hello ops")
	bob := e.browser.open(t, "bob", e.url+"/?user=bob&room=ops-a")
	bob.join("bob", "ops-a")

	var ready struct{ Status, Epoch string }
	resp, err := http.Get(e.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if err != nil || ready.Status != "ready" || ready.Epoch == "" {
		t.Fatalf("GET /readyz: %+v, %v", ready, err)
	}

	// The operator page goes through a proxy, to be cut off later.
	px := startProxy(t, strings.TrimPrefix(e.url, "http://"))
	ops := e.browser.open(t, "ops", px.URL()+"/ops")
	ops.waitJS("readiness shown", `document.querySelector('[data-testid=ops-ready]').textContent === 'ready'`, stepTimeout)
	ops.waitList("the rooms by name", jsOpsRooms, "ops-a:2", "ops-b:1")
	ops.waitJS("the message count of ops-b", `document.querySelector('[data-testid=ops-rooms] tr[data-room="ops-b"] .messages').textContent === '1'`, stepTimeout)
	ops.waitJS("the last activity of ops-b", `document.querySelector('[data-testid=ops-rooms] tr[data-room="ops-b"] .updated').textContent.includes('ago')`, stepTimeout)
	ops.waitList("the active users", jsOpsUsers, "alice:ops-a, ops-b:1", "bob:ops-a:1")

	// Sorting: by messages, most first; again, fewest first.
	ops.do("sort by messages", chromedp.Click(chromedp.CSS(`th[data-sort=messages] button`)))
	ops.waitList("the rooms by messages, most first", jsOpsRooms, "ops-b:1", "ops-a:2")
	ops.do("sort by members", chromedp.Click(chromedp.CSS(`th[data-sort=members] button`)))
	ops.waitList("the rooms by members, most first", jsOpsRooms, "ops-a:2", "ops-b:1")
	ops.do("sort by members again", chromedp.Click(chromedp.CSS(`th[data-sort=members] button`)))
	ops.waitList("the rooms by members, fewest first", jsOpsRooms, "ops-b:1", "ops-a:2")
	ops.waitJS("the sort shown", `document.querySelector('th[data-sort=members]').getAttribute('aria-sort') === 'ascending'`, stepTimeout)

	// Filtering by prefix.
	ops.do("filter ops-b", chromedp.SendKeys(tid("ops-filter"), "ops-b"))
	ops.waitList("only ops-b", jsOpsRooms, "ops-b:1")
	ops.do("filter nothing", setValue("ops-filter", "zzz"))
	ops.waitList("no rooms", jsOpsRooms)
	ops.waitJS("the empty note", `!document.querySelector('[data-testid=ops-rooms-empty]').hidden`, stepTimeout)
	ops.do("clear the filter", setValue("ops-filter", ""))
	ops.waitList("both rooms again", jsOpsRooms, "ops-b:1", "ops-a:2")

	// One room's full state.
	ops.do("show ops-a", chromedp.Click(chromedp.CSS(`[data-testid=ops-rooms] tr[data-room="ops-a"] button`)))
	ops.waitJS("ops-a shown", `document.querySelector('[data-testid=ops-room-name]').textContent === 'ops-a'`, stepTimeout)
	ops.waitList("the members of ops-a with their sessions", jsOpsRoom, "alice:1", "bob:1")
	if got := eval[string](ops, `document.querySelector('[data-testid=ops-room-epoch]').textContent`); got != ready.Epoch {
		t.Errorf("ops: epoch %q, want the server's %q", got, ready.Epoch)
	}
	if got := eval[string](ops, `document.querySelector('[data-testid=ops-room-cursor]').textContent`); got == "" || got == "-1" {
		t.Errorf("ops: cursor of ops-a %q, want the offset of its last event", got)
	}

	// Live: bob leaves ops-a, alice opens a second session in it; the page
	// follows without a reload.
	bob.do("leave ops-a", chromedp.Click(tid("leave-button")))
	ops.waitList("ops-a without bob", jsOpsRoom, "alice:1")
	ops.waitList("the rooms after bob left", jsOpsRooms, "ops-a:1", "ops-b:1")
	ops.waitList("the active users after bob left", jsOpsUsers, "alice:ops-a, ops-b:1")
	alice2 := e.browser.open(t, "alice2", e.url+"/?user=alice&room=ops-a")
	alice2.join("alice", "ops-a")
	ops.waitList("alice with two sessions", jsOpsRoom, "alice:2")
	ops.waitList("alice's sessions in the user list", jsOpsUsers, "alice:ops-a, ops-b:2")

	// The location keeps the selection: a reload shows the same room.
	ops.do("reload", chromedp.Reload())
	ops.waitJS("ops-a shown after a reload", `document.querySelector('[data-testid=ops-room-name]').textContent === 'ops-a'`, stepTimeout)
	ops.waitList("the members after a reload", jsOpsRoom, "alice:2")

	// Cut off from the server, the page says so and keeps the last state;
	// back in touch, it goes on refreshing.
	px.Cut()
	ops.waitJS("the server unreachable", `document.querySelector('[data-testid=ops-ready]').textContent === 'unreachable'`+
		` && document.querySelector('[data-testid=ops-updated]').dataset.state === 'failed'`, stepTimeout)
	ops.waitList("the last known members kept", jsOpsRoom, "alice:2")
	px.Restore()
	alice2.do("leave ops-a", chromedp.Click(tid("leave-button")))
	ops.waitJS("ready again", `document.querySelector('[data-testid=ops-ready]').textContent === 'ready'`, stepTimeout)
	ops.waitList("alice with one session again", jsOpsRoom, "alice:1")
}
