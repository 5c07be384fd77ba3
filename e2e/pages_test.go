package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// env is what a scenario runs against: a stack and a browser of its own.
type env struct {
	*stack
	browser *browser
}

// newEnv starts the stack and a browser for t, or skips t when there is no
// Chromium (see chromiumPath).
func newEnv(t *testing.T) *env {
	t.Helper()
	path := chromiumPath(t)
	st := startStack(t)
	return &env{stack: st, browser: startBrowser(t, path)}
}

// tid selects the element with the given data-testid.
func tid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// js renders v as a JavaScript literal.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// JavaScript expressions that read the chat page.
const (
	jsStatus   = `document.querySelector('[data-testid=status]').textContent`
	jsTexts    = `[...document.querySelectorAll('[data-testid=messages] .msg-text')].map((e) => e.textContent)`
	jsAuthors  = `[...document.querySelectorAll('[data-testid=messages] .msg-author')].map((e) => e.textContent)`
	jsMembers  = `[...document.querySelectorAll('[data-testid=members] li .member-name')].map((e) => e.textContent)`
	jsInput    = `document.querySelector('[data-testid=message-input]').value`
	jsErrorBar = `document.querySelector('[data-testid=error]')`
)

// waitStatus waits until the connection state reads state.
func (p *page) waitStatus(state string, timeout time.Duration) {
	p.t.Helper()
	p.waitJS("status "+state, jsStatus+` === `+js(state), timeout)
}

// waitTexts waits until the message list shows exactly want, in order.
func (p *page) waitTexts(want []string) {
	p.t.Helper()
	if want == nil {
		want = []string{}
	}
	p.waitJS(fmt.Sprintf("the messages %q", want), `JSON.stringify(`+jsTexts+`) === JSON.stringify(`+js(want)+`)`, stepTimeout)
}

// waitMembers waits until the member list shows exactly want.
func (p *page) waitMembers(want ...string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf("the members %q", want), `JSON.stringify(`+jsMembers+`) === JSON.stringify(`+js(want)+`)`, stepTimeout)
}

// join presses Join with the name and room the form holds and waits until
// the room is joined: the connection is live and the user is a member.
func (p *page) join(user, room string) {
	p.t.Helper()
	p.do("press Join", chromedp.Click(tid("join-button")))
	p.waitJoined(user, room)
}

// openPair opens alice's page and then bob's on room, each by a link
// that joins, and waits until each shows the room with its user a member.
func (e *env) openPair(t *testing.T, room string) (alice, bob *page) {
	t.Helper()
	alice = e.browser.open(t, "alice", e.url+"/?user=alice&room="+room)
	alice.waitJoined("alice", room)
	bob = e.browser.open(t, "bob", e.url+"/?user=bob&room="+room)
	bob.waitJoined("bob", room)
	return alice, bob
}

// waitJoined waits until room is the room shown and user is in its members.
func (p *page) waitJoined(user, room string) {
	p.t.Helper()
	p.waitStatus("live", stepTimeout)
	p.waitJS("joined "+room, `document.querySelector('#room-title').textContent === `+js(room)+
		` && `+jsMembers+`.includes(`+js(user)+`)`+
		` && !document.querySelector('[data-testid=message-input]').disabled`, stepTimeout)
}

// send types text into the message box, presses Enter and waits until the
// server acknowledged it (the page then empties the box).
func (p *page) send(text string) {
	p.t.Helper()
	p.do("type a message", chromedp.SendKeys(tid("message-input"), text+"\r"))
	p.waitJS("the message box to empty after the ack", jsInput+` === ''`, stepTimeout)
}

// setValue sets the value of the input with the data-testid id, as a paste
// would (chromedp.SetValue cannot set an empty value).
func setValue(id, v string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => {
		const el = document.querySelector('[data-testid=' + ` + js(id) + ` + ']');
		el.value = ` + js(v) + `;
		el.dispatchEvent(new Event('input', { bubbles: true }));
	})()`)
}
