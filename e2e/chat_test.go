package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Two users in two browser profiles chat in one room: each sees the other's
// messages and membership, own messages are marked, a second room counts
// unread messages, leaving is seen by the other, and a reload remembers the
// name and room and shows the history.
func TestTwoUsersChat(t *testing.T) {
	e := newEnv(t)
	const room = "lobby"

	alice := e.browser.open(t, "alice", e.url+"/?user=alice&room="+room)
	if got := eval[string](alice, `document.querySelector('[data-testid=name-input]').value + '/' + document.querySelector('[data-testid=room-input]').value`); got != "alice/"+room {
		t.Fatalf("alice: the form is prefilled with %q, want %q from ?user= and ?room=", got, "alice/"+room)
	}
	alice.waitJoined("alice", room) // the link joins, no press on Join

	// Bob uses the keyboard only: Tab past the skip link to the name field,
	// then the room field, Enter joins; the message box then has the focus.
	bob := e.browser.open(t, "bob", e.url+"/")
	bob.do("tab to the name field", chromedp.KeyEvent("\t\t"))
	bob.waitJS("the name field focused", `document.activeElement === document.querySelector('[data-testid=name-input]')`, stepTimeout)
	bob.do("type name, tab, room, Enter", chromedp.KeyEvent("bob\t"+room+"\r"))
	bob.waitJoined("bob", room)
	bob.waitJS("the message box focused after joining", `document.activeElement === document.querySelector('[data-testid=message-input]')`, stepTimeout)

	alice.waitMembers("alice", "bob")
	bob.waitMembers("alice", "bob")

	alice.send("hello bob")
	bob.waitTexts([]string{"hello bob"})
	bob.do("reply with the keyboard", chromedp.KeyEvent("hi alice\r"))
	bob.waitJS("bob's reply acknowledged", jsInput+` === ''`, stepTimeout)
	for _, p := range []*page{alice, bob} {
		p.waitTexts([]string{"hello bob", "hi alice"})
		if got := eval[[]string](p, jsAuthors); strings.Join(got, ",") != "alice,bob" {
			t.Errorf("%s: authors %q, want alice, bob", p.name, got)
		}
		// Own messages are marked, the other's not; each has a local time.
		own := eval[[]bool](p, `[...document.querySelectorAll('[data-testid=messages] .msg')].map((e) => e.classList.contains('is-own'))`)
		want := []bool{p.name == "alice", p.name == "bob"}
		if len(own) != 2 || own[0] != want[0] || own[1] != want[1] {
			t.Errorf("%s: own marks %v, want %v", p.name, own, want)
		}
		times := eval[[]string](p, `[...document.querySelectorAll('[data-testid=messages] time')].map((e) => e.dateTime + '|' + e.textContent)`)
		for _, s := range times {
			dt, shown, _ := strings.Cut(s, "|")
			if _, err := time.Parse(time.RFC3339Nano, dt); err != nil || shown == "" {
				t.Errorf("%s: message time %q: want an RFC 3339 datetime and a shown time", p.name, s)
			}
		}
		// The room list (from /api/rooms) counts members and messages.
		p.waitJS("the room list entry", `document.querySelector('[data-testid=rooms] li[data-room="lobby"] .room-counts')?.textContent === '2 members · 2 messages'`, stepTimeout)
	}
	// While the rooms table stays as it is, the list's polls name its ETag
	// and are answered 304 without a body; the entry stays.
	alice.waitJS("a poll of the room list answered 304", `performance.getEntriesByType('resource').some((e) => new URL(e.name).pathname === '/api/rooms' && e.responseStatus === 304)`, stepTimeout)
	alice.waitJS("the room list entry after the 304", `document.querySelector('[data-testid=rooms] li[data-room="lobby"] .room-counts')?.textContent === '2 members · 2 messages'`, stepTimeout)

	// Several rooms: bob also joins "side"; a message in lobby counts as
	// unread there until bob switches back.
	bob.do("join a second room", setValue("room-input", "side"), chromedp.Click(tid("join-button")))
	bob.waitJoined("bob", "side")
	bob.waitTexts(nil)
	alice.send("while you are away")
	bob.waitJS("an unread count of 1 on lobby", `document.querySelector('[data-testid=joined-rooms] li[data-room="lobby"] [data-testid=unread]')?.textContent === '1'`, stepTimeout)
	bob.do("switch back to lobby", chromedp.Click(chromedp.CSS(`[data-testid=joined-rooms] li[data-room="lobby"] button`)))
	bob.waitTexts([]string{"hello bob", "hi alice", "while you are away"})
	bob.waitJS("the unread count gone", `!document.querySelector('[data-testid=joined-rooms] [data-testid=unread]')`, stepTimeout)

	// Bob leaves lobby: alice sees him go.
	bob.do("leave lobby", chromedp.Click(tid("leave-button")))
	bob.waitJS("lobby gone from bob's rooms", `!document.querySelector('[data-testid=joined-rooms] li[data-room="lobby"]')`, stepTimeout)
	alice.waitMembers("alice")

	// A reload remembers bob's name and last room; joining shows the history.
	bob.do("reload without parameters", chromedp.Navigate(e.url+"/"))
	if got := eval[string](bob, `document.querySelector('[data-testid=name-input]').value + '/' + document.querySelector('[data-testid=room-input]').value`); got != "bob/side" {
		t.Fatalf("bob: after a reload the form holds %q, want the remembered bob/side", got)
	}
	bob.do("type lobby", setValue("room-input", room))
	bob.join("bob", room)
	bob.waitTexts([]string{"hello bob", "hi alice", "while you are away"})
	alice.waitMembers("alice", "bob")
}

// The newcomer's way: one browser, two tabs of the chat page. The second tab
// starts with the first one's remembered name and room; changing the name
// and pressing Join makes it a second user, and the two chat.
func TestTwoTabsOneBrowser(t *testing.T) {
	e := newEnv(t)
	first := e.browser.open(t, "tab1", e.url+"/")
	first.do("fill in name and room", setValue("name-input", "ann"), setValue("room-input", "welcome"))
	first.join("ann", "welcome")

	second := e.browser.openBeside(t, first, "tab2", e.url+"/")
	if got := eval[string](second, `document.querySelector('[data-testid=name-input]').value + '/' + document.querySelector('[data-testid=room-input]').value`); got != "ann/welcome" {
		t.Fatalf("tab2: the form holds %q, want the remembered ann/welcome", got)
	}
	second.do("choose another name", setValue("name-input", "ben"))
	second.join("ben", "welcome")
	first.waitMembers("ann", "ben")
	second.waitMembers("ann", "ben")

	first.send("hi ben")
	second.send("hi ann")
	first.waitTexts([]string{"hi ben", "hi ann"})
	second.waitTexts([]string{"hi ben", "hi ann"})
	if got := eval[[]string](second, jsAuthors); strings.Join(got, ",") != "ann,ben" {
		t.Errorf("tab2: authors %q, want ann, ben", got)
	}
	first.waitStatus("live", stepTimeout)
}

// One page loses its connection (a cut in the TCP path between browser and
// server) while the other writes; when the path is back the page reconnects,
// resumes from its cursor and shows exactly the missed messages once, in
// order. Text typed while offline stays in the box and can be sent later.
//
// The outage is a TCP proxy that the test cuts: Chromium's emulated offline
// mode (Network.emulateNetworkConditionsByRule and overrideNetworkState with
// offline) fails new requests but leaves an open WebSocket open and working,
// so it cannot stand for a dropped connection.
func TestOfflineResume(t *testing.T) {
	e := newEnv(t)
	const room = "outage"
	px := startProxy(t, strings.TrimPrefix(e.url, "http://"))

	alice := e.browser.open(t, "alice", px.URL()+"/?user=alice&room="+room)
	alice.join("alice", room)
	bob := e.browser.open(t, "bob", e.url+"/?user=bob&room="+room)
	bob.join("bob", room)
	alice.waitMembers("alice", "bob")

	bob.send("before the outage")
	want := []string{"before the outage"}
	alice.waitTexts(want)

	frames := alice.recordWebSocket()
	px.Cut()
	alice.waitStatus("reconnecting", stepTimeout)
	// The server saw alice's socket close and wrote her leave.
	bob.waitMembers("bob")

	missed := []string{"missed 1", "missed 2", "missed 3", "missed 4", "missed 5"}
	for _, m := range missed {
		bob.send(m)
	}
	want = append(want, missed...)
	bob.waitTexts(want)

	// Writing while offline: the page says so and keeps the text.
	alice.do("type while offline", chromedp.SendKeys(tid("message-input"), "written offline\r"))
	alice.waitJS("the offline error", jsErrorBar+`.hidden === false && `+jsErrorBar+`.textContent.includes('offline')`, stepTimeout)
	if got := eval[string](alice, jsInput); got != "written offline" {
		t.Fatalf("alice: the message box holds %q after a send while offline, want the unsent text", got)
	}
	alice.waitTexts(want[:1])
	if got := eval[string](alice, jsStatus); got != "reconnecting" {
		t.Fatalf("alice: status %q during the outage, want reconnecting", got)
	}

	px.Restore()
	// The backoff is at most 5 s; resume and history come from Kafka.
	alice.waitStatus("live", 30*time.Second)
	alice.waitTexts(want)
	alice.waitMembers("alice", "bob")
	bob.waitMembers("alice", "bob")
	checkResumed(t, frames(), room, missed)

	// Live again: new messages arrive once, and the kept text can be sent.
	bob.send("after the outage")
	want = append(want, "after the outage")
	alice.waitTexts(want)
	alice.do("send the kept text", chromedp.SendKeys(tid("message-input"), "\r"))
	alice.waitJS("the kept text acknowledged", jsInput+` === ''`, stepTimeout)
	want = append(want, "written offline")
	alice.waitTexts(want)
	bob.waitTexts(want)
}

// Messages that look like HTML are shown as the text they are, on both
// sides, and run nothing.
func TestMarkupShownAsText(t *testing.T) {
	e := newEnv(t)
	const room = "xss"
	alice := e.browser.open(t, "alice", e.url+"/?user=alice&room="+room)
	alice.join("alice", room)
	bob := e.browser.open(t, "bob", e.url+"/?user=bob&room="+room)
	bob.join("bob", room)

	texts := []string{
		`<img src=x onerror="window.__xss=1">`,
		`<script>window.__xss=2</script>`,
		`"><svg onload=window.__xss=3>`,
		`&lt;b&gt;not bold&lt;/b&gt; & <b>bold?</b>`,
	}
	for _, s := range texts {
		alice.send(s)
	}
	for _, p := range []*page{alice, bob} {
		p.waitTexts(texts)
		if n := eval[int](p, `document.querySelectorAll('[data-testid=messages] img, [data-testid=messages] script, [data-testid=messages] svg, [data-testid=messages] b').length`); n != 0 {
			t.Errorf("%s: %d elements were made from message text", p.name, n)
		}
		if got := eval[string](p, `String(window.__xss)`); got != "undefined" {
			t.Errorf("%s: a message ran script: window.__xss = %s", p.name, got)
		}
	}
}

// A message over 4096 bytes is refused by the server: the page says so in
// words and keeps the text; a shorter one then goes through. The page is
// phone-sized here and must not scroll sideways.
func TestTooLongErrorKeepsText(t *testing.T) {
	e := newEnv(t)
	const room = "long"
	alice := e.browser.open(t, "alice", e.url+"/?user=alice&room="+room)
	alice.do("phone-sized viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch), chromedp.Reload())
	alice.join("alice", room)
	if w := eval[int](alice, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("alice: at phone width the page is %d px wider than the screen", w)
	}

	for _, long := range []string{
		strings.Repeat("x", 5000), // characters
		strings.Repeat("é", 2100), // 4200 bytes in 2100 characters
	} {
		alice.do("put a long text in the box", setValue("message-input", long))
		alice.do("press Enter", chromedp.SendKeys(tid("message-input"), "\r"))
		alice.waitJS("the too_large error", jsErrorBar+`.hidden === false && `+jsErrorBar+`.dataset.code === 'too_large'`, stepTimeout)
		if msg := eval[string](alice, jsErrorBar+`.textContent`); !strings.Contains(msg, "too long") {
			t.Errorf("alice: error text %q does not say the message is too long", msg)
		}
		if got := eval[string](alice, jsInput); got != long {
			t.Fatalf("alice: the message box holds %d characters after the error, want the %d unsent ones", len([]rune(got)), len([]rune(long)))
		}
		alice.waitTexts(nil)
		alice.do("dismiss the error", chromedp.Click(chromedp.ID("error-close")))
		alice.waitJS("the error dismissed", jsErrorBar+`.hidden === true`, stepTimeout)
	}

	alice.do("replace the text", setValue("message-input", ""))
	alice.send("short enough")
	alice.waitTexts([]string{"short enough"})
}

// checkResumed checks the last join of room in frames: it asked to resume
// (after and epoch), and the snapshot that answered it says resumed, nothing
// truncated, and carries exactly the missed messages.
func checkResumed(t *testing.T, frames []wsFrame, room string, missed []string) {
	t.Helper()
	type entry struct {
		Cursor int64
		Event  struct{ Type, Text string }
	}
	type frame struct {
		Op, Room, Ref, Epoch string
		After                *int64
		Resumed, Truncated   bool
		Events               []entry
	}
	var join *frame
	snapshots := map[string]frame{}
	for _, f := range frames {
		var fr frame
		if json.Unmarshal([]byte(f.Data), &fr) != nil || fr.Room != room {
			continue
		}
		switch {
		case f.Sent && fr.Op == "join":
			join = &fr
		case !f.Sent && fr.Op == "snapshot":
			snapshots[fr.Ref] = fr
		}
	}
	if join == nil {
		t.Fatalf("alice sent no join for %s after the outage", room)
	}
	if join.After == nil || *join.After < 0 || join.Epoch == "" {
		t.Fatalf("alice's rejoin does not resume: after %v, epoch %q", join.After, join.Epoch)
	}
	snap, ok := snapshots[join.Ref]
	if !ok {
		t.Fatalf("no snapshot answered the rejoin (ref %q)", join.Ref)
	}
	var texts []string
	for _, e := range snap.Events {
		if e.Cursor <= *join.After {
			t.Errorf("the resumed snapshot holds cursor %d, not after %d", e.Cursor, *join.After)
		}
		if e.Event.Type == "message" {
			texts = append(texts, e.Event.Text)
		}
	}
	if !snap.Resumed || snap.Truncated || !slices.Equal(texts, missed) {
		t.Fatalf("the rejoin's snapshot: resumed %v, truncated %v, messages %q; want resumed, not truncated, %q",
			snap.Resumed, snap.Truncated, texts, missed)
	}
}
