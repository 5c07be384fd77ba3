package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chromedp/chromedp"
)

// jsBadges reads the unread badge and the mention marker of a joined room
// as "COUNT|MENTIONS", empty where there is none.
func jsBadges(room string) string {
	return `(() => {
		const li = document.querySelector('[data-testid=joined-rooms] li[data-room=' + ` + js(room) + ` + ']');
		if (!li) return 'not joined';
		const text = (id) => li.querySelector('[data-testid=' + id + ']')?.textContent ?? '';
		return text('unread') + '|' + text('mentions');
	})()`
}

// waitBadges waits until the badges of room read want (see jsBadges).
func (p *page) waitBadges(room, want string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf("the badges of %s to read %q", room, want), jsBadges(room)+` === `+js(want), stepTimeout)
}

// jsMessage selects the element of the n-th message shown (1 first).
func jsMessage(n int) string {
	return fmt.Sprintf(`[data-testid=messages] li.msg:nth-child(%d)`, n)
}

// jsChip reads the reaction chip of emoji on the first message as
// "COUNT/PRESSED", or "none".
func jsChip(emoji string) string {
	return `(() => {
		const c = document.querySelector('` + jsMessage(1) + ` [data-testid=reaction][data-emoji="` + emoji + `"]');
		return c ? c.dataset.count + '/' + c.getAttribute('aria-pressed') + '/' + c.textContent : 'none';
	})()`
}

// waitUnreadAPI waits until GET /api/users/{user}/unread shows want for room:
// "COUNT/MENTIONS".
func (e *env) waitUnreadAPI(t *testing.T, user, room, want string) {
	t.Helper()
	testenv.WaitFor(t, stepTimeout, func() error {
		resp, err := http.Get(e.url + "/api/users/" + user + "/unread")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var body struct {
			Rooms []struct {
				Room            string
				Count, Mentions int
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return fmt.Errorf("GET /api/users/%s/unread: %d %v", user, resp.StatusCode, err)
		}
		for _, r := range body.Rooms {
			if got := fmt.Sprintf("%d/%d", r.Count, r.Mentions); r.Room == room && got != want {
				return fmt.Errorf("%s's unread in %s: %s, want %s", user, room, got, want)
			} else if r.Room == room {
				return nil
			}
		}
		return fmt.Errorf("%s has no unread state in %s: %+v", user, room, body.Rooms)
	})
}

// Unread counts come from the server: a message of another user raises the
// badge of a room not shown on both tabs of a user, an @mention adds the
// mention marker, and opening the room in one tab marks it read, which
// clears the badge of the other tab too. The operator page shows none of it.
func TestUnreadBadges(t *testing.T) {
	e := newEnv(t)
	alice := e.browser.open(t, "alice", e.url+"/?user=alice&room=lobby")
	alice.waitJoined("alice", "lobby")

	// Bob in two tabs of one browser, each in lobby and then side, which
	// they show.
	bob1 := e.browser.open(t, "bob1", e.url+"/?user=bob&room=lobby")
	bob1.waitJoined("bob", "lobby")
	bob2 := e.browser.openBeside(t, bob1, "bob2", e.url+"/?user=bob&room=lobby")
	bob2.waitJoined("bob", "lobby")
	for _, p := range []*page{bob1, bob2} {
		p.do("join side", setValue("room-input", "side"), chromedp.Click(tid("join-button")))
		p.waitJoined("bob", "side")
		p.waitBadges("lobby", "|")
	}
	alice.waitMembers("alice", "bob")

	alice.send("hello everyone")
	for _, p := range []*page{bob1, bob2} {
		p.waitBadges("lobby", "1|")
	}
	alice.send("@bob have a look")
	for _, p := range []*page{bob1, bob2} {
		p.waitBadges("lobby", "2|@1")
		p.waitBadges("side", "|")
		if got := eval[string](p, `document.title`); got != "(2) chatstate" {
			t.Errorf("%s: title %q, want the unread count in it", p.name, got)
		}
	}
	// Her own messages are no unread of alice's.
	alice.waitBadges("lobby", "|")
	e.waitUnreadAPI(t, "bob", "lobby", "2/1")

	// Opening lobby in one tab shows the messages and marks them read:
	// both tabs' badges clear, the other still showing side.
	bob1.do("open lobby", chromedp.Click(chromedp.CSS(`[data-testid=joined-rooms] li[data-room="lobby"] button`)))
	bob1.waitTexts([]string{"hello everyone", "@bob have a look"})
	bob1.waitBadges("lobby", "|")
	bob2.waitBadges("lobby", "|")
	if got := eval[string](bob2, `document.querySelector('#room-title').textContent`); got != "side" {
		t.Errorf("bob2 shows %q, want side still", got)
	}
	e.waitUnreadAPI(t, "bob", "lobby", "0/0")

	// While bob1 shows lobby, a new message there is read as it comes: the
	// other tab's badge rises at most for a moment and ends clear.
	alice.send("still there?")
	bob1.waitTexts([]string{"hello everyone", "@bob have a look", "still there?"})
	e.waitUnreadAPI(t, "bob", "lobby", "0/0")
	bob2.waitBadges("lobby", "|")
	bob1.waitBadges("lobby", "|")

	// The operator page shows the room but nothing of anyone's reading.
	ops := e.browser.open(t, "ops", e.url+"/ops?room=lobby")
	ops.waitList("lobby's members on the operator page", jsOpsRoom, "alice:1", "bob:2")
	if got := eval[[]string](ops, `performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.includes('unread'))`); len(got) != 0 {
		t.Errorf("ops: the operator page asked for %q", got)
	}
	if got := eval[bool](ops, `/unread|read marker|mention/i.test(document.body.innerText)`); got {
		t.Errorf("ops: the operator page speaks of read state")
	}
}

// An edit and a delete made in one page show in the other as they happen,
// and in a history loaded afresh: the edited text with "(edited)", the
// deleted message as "message deleted" without its text. Only the author
// has Edit and Delete, and a deletion asks first.
func TestEditAndDeleteAcrossPages(t *testing.T) {
	e := newEnv(t)
	const room = "edits"
	alice, bob := e.openPair(t, room)

	alice.send("frist draft")
	alice.send("to be removed")
	bob.send("bob's own")
	want := []string{"frist draft", "to be removed", "bob's own"}
	for _, p := range []*page{alice, bob} {
		p.waitTexts(want)
	}
	const jsControls = `[...document.querySelectorAll('[data-testid=messages] li.msg')].map((li) => li.querySelectorAll('[data-testid=edit], [data-testid=delete]').length)`
	if got, want := eval[[]int](alice, jsControls), []int{2, 2, 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("alice: edit and delete controls per message %v, want %v", got, want)
	}
	if got, want := eval[[]int](bob, jsControls), []int{0, 0, 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("bob: edit and delete controls per message %v, want %v", got, want)
	}

	// Edit inline: the form holds the text; Save sends the new one.
	alice.do("press Edit", chromedp.Click(chromedp.CSS(jsMessage(1)+` [data-testid=edit]`)))
	alice.waitJS("the edit form with the text, focused", `document.activeElement === document.querySelector('[data-testid=edit-input]') && document.activeElement.value === 'frist draft'`, stepTimeout)
	alice.do("type the new text", setValue("edit-input", "first draft, fixed"), chromedp.Click(tid("edit-save")))
	want = []string{"first draft, fixed", "to be removed", "bob's own"}
	const jsEdited = `[...document.querySelectorAll('[data-testid=messages] li.msg')].map((li) => li.querySelector('.msg-edited')?.textContent ?? '')`
	for _, p := range []*page{alice, bob} {
		p.waitTexts(want)
		p.waitJS("the first message marked edited", `JSON.stringify(`+jsEdited+`) === JSON.stringify(["(edited)", "", ""])`, stepTimeout)
	}
	alice.waitJS("the edit form closed", `!document.querySelector('[data-testid=edit-input]')`, stepTimeout)

	// Delete asks first: Cancel keeps the message, Delete removes it.
	alice.do("press Delete", chromedp.Click(chromedp.CSS(jsMessage(2)+` [data-testid=delete]`)))
	alice.do("cancel", chromedp.Click(tid("delete-cancel")))
	alice.waitJS("the confirmation gone", `!document.querySelector('[data-testid=delete-confirm]')`, stepTimeout)
	alice.waitTexts(want)
	alice.do("press Delete again", chromedp.Click(chromedp.CSS(jsMessage(2)+` [data-testid=delete]`)))
	alice.do("confirm", chromedp.Click(tid("delete-confirm")))
	want = []string{"first draft, fixed", "bob's own"}
	const jsDeleted = `[...document.querySelectorAll('[data-testid=messages] li.msg')].map((li) => li.querySelector('.msg-deleted')?.textContent ?? '')`
	checkShown := func(p *page) {
		p.t.Helper()
		p.waitTexts(want)
		p.waitJS("the second message shown as deleted", `JSON.stringify(`+jsDeleted+`) === JSON.stringify(["", "message deleted", ""])`, stepTimeout)
		p.waitJS("the first still marked edited", `JSON.stringify(`+jsEdited+`) === JSON.stringify(["(edited)", "", ""])`, stepTimeout)
		if n := eval[int](p, `document.querySelectorAll('`+jsMessage(2)+` button').length`); n != 0 {
			t.Errorf("%s: the deleted message has %d controls, want none", p.name, n)
		}
	}
	for _, p := range []*page{alice, bob} {
		checkShown(p)
	}

	// A history loaded afresh shows the messages as they are now.
	bob.do("reload", chromedp.Reload())
	bob.waitJoined("bob", room)
	checkShown(bob)
}

// A reaction added in one page shows with its count in the other; each
// page knows its own reaction from the live events, and a press on its
// chip takes it back; the chip goes with the last reaction.
func TestReactionsAcrossPages(t *testing.T) {
	e := newEnv(t)
	const room = "reacts"
	alice, bob := e.openPair(t, room)
	alice.send("react to me")
	bob.waitTexts([]string{"react to me"})

	pick := func(p *page, emoji string) {
		p.t.Helper()
		p.do("press +", chromedp.Click(chromedp.CSS(jsMessage(1)+` [data-testid=react-add]`)))
		p.do("pick "+emoji, chromedp.Click(chromedp.CSS(jsMessage(1)+` [data-testid=react-pick][data-emoji="`+emoji+`"]`)))
	}
	chip := func(p *page, emoji, want string) {
		p.t.Helper()
		p.waitJS(fmt.Sprintf("the %s chip to read %q", emoji, want), jsChip(emoji)+` === `+js(want), stepTimeout)
	}
	press := func(p *page, emoji string) {
		p.t.Helper()
		p.do("press the "+emoji+" chip", chromedp.Click(chromedp.CSS(jsMessage(1)+` [data-testid=reaction][data-emoji="`+emoji+`"]`)))
	}

	pick(bob, "👍")
	chip(bob, "👍", "1/true/👍1")
	chip(alice, "👍", "1/false/👍1")
	// Each step waits for the message to show the last change: a change
	// draws the message anew.
	pick(alice, "👍")
	chip(alice, "👍", "2/true/👍2")
	pick(alice, "🎉")
	chip(alice, "🎉", "1/true/🎉1")
	chip(bob, "👍", "2/true/👍2")
	chip(bob, "🎉", "1/false/🎉1")

	// Bob takes his back: one left, alice's.
	press(bob, "👍")
	chip(alice, "👍", "1/true/👍1")
	chip(bob, "👍", "1/false/👍1")
	// Alice takes hers back: the chip goes on both pages.
	press(alice, "👍")
	for _, p := range []*page{alice, bob} {
		chip(p, "👍", "none")
		chip(p, "🎉", "1/"+fmt.Sprint(p == alice)+"/🎉1")
	}

	// A history loaded afresh counts what is left.
	bob.do("reload", chromedp.Reload())
	bob.waitJoined("bob", room)
	bob.waitTexts([]string{"react to me"})
	chip(bob, "🎉", "1/false/🎉1")
	chip(bob, "👍", "none")
}
