package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// jsSideList reads the names shown in a side list of rooms (joined-rooms or
// dms), in order.
func jsSideList(testid string) string {
	return `[...document.querySelectorAll('[data-testid=` + testid + `] li .room-name')].map((e) => e.textContent)`
}

// waitSideList waits until the side list testid shows exactly want.
func (p *page) waitSideList(testid string, want ...string) {
	p.t.Helper()
	if want == nil {
		want = []string{}
	}
	p.waitJS(fmt.Sprintf("the list %s to read %q", testid, want), `JSON.stringify(`+jsSideList(testid)+`) === JSON.stringify(`+js(want)+`)`, stepTimeout)
}

// memberAction opens the menu of user in the members panel and presses the
// entry of action (message, mod, unmod, mute, unmute, kick, ban).
func (p *page) memberAction(user, action string) {
	p.t.Helper()
	li := `[data-testid=members] li[data-user="` + user + `"]`
	p.do("open the menu of "+user, chromedp.Click(chromedp.CSS(li+` .member-btn`)))
	p.do(action+" "+user, chromedp.Click(chromedp.CSS(li+` [data-testid=member-menu] button[data-action="`+action+`"]`)))
}

// A direct room started from a member's menu on one page shows up in the
// other page's Direct messages (through its invited frame), named by the
// other user, and messages go both ways in it.
func TestDirectMessages(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.openPair(t, "lobby")
	alice.waitMembers("alice", "bob")

	alice.memberAction("bob", "message")
	alice.waitJS("the direct room shown", `document.querySelector('#room-title').textContent === 'bob'`+
		` && !document.querySelector('[data-testid=message-input]').disabled`, stepTimeout)
	alice.waitSideList("dms", "bob")
	alice.waitSideList("joined-rooms", "lobby")

	// Bob's page lists it without leaving the room he shows.
	bob.waitSideList("dms", "alice")
	if got := eval[string](bob, `document.querySelector('#room-title').textContent`); got != "lobby" {
		t.Errorf("bob shows %q, want lobby still", got)
	}

	alice.send("hi bob")
	bob.do("open the direct room", chromedp.Click(chromedp.CSS(`[data-testid=dms] li button`)))
	bob.waitJS("the direct room shown", `document.querySelector('#room-title').textContent === 'alice'`, stepTimeout)
	bob.waitTexts([]string{"hi bob"})
	bob.waitMembers("alice", "bob")
	bob.send("hi alice")
	alice.waitTexts([]string{"hi bob", "hi alice"})
	bob.waitTexts([]string{"hi bob", "hi alice"})
	// A direct room is private, with nobody's menu of rules.
	alice.waitJS("the lock of the direct room", `!document.querySelector('[data-testid=room-lock]').hidden`, stepTimeout)
	if got := eval[bool](alice, `document.querySelector('[data-testid=settings-button]').hidden`); !got {
		t.Errorf("alice: a direct room shows Settings")
	}
}

// The owner makes a room private with a topic; a user not invited who tries
// to join it gets a forbidden error and no room, until the owner invites
// them from the page and they open the invitation.
func TestPrivateRoomRefusesAUserNotInvited(t *testing.T) {
	e := newEnv(t)
	alice := e.browser.open(t, "alice", e.url+"/?user=alice&room=secret")
	alice.waitJoined("alice", "secret")
	alice.waitJS("the owner's Settings", `!document.querySelector('[data-testid=settings-button]').hidden`, stepTimeout)
	alice.do("set a topic and make the room private",
		chromedp.Click(tid("settings-button")),
		setValue("topic-input", "plans <b>only</b>"),
		chromedp.Click(tid("private-input")),
		chromedp.Click(tid("settings-save")))
	alice.waitJS("the topic in the head", `document.querySelector('[data-testid=room-topic]').textContent === 'plans <b>only</b>'`+
		` && !document.querySelector('[data-testid=room-topic]').hidden`, stepTimeout)
	alice.waitJS("the lock in the head and the list", `!document.querySelector('[data-testid=room-lock]').hidden`+
		` && !!document.querySelector('[data-testid=joined-rooms] li[data-room="secret"] [data-testid=lock]')`, stepTimeout)

	bob := e.browser.open(t, "bob", e.url+"/?user=bob&room=secret")
	bob.waitStatus("live", stepTimeout)
	bob.waitJS("the forbidden error", jsErrorBar+`.dataset.code === 'forbidden' && !`+jsErrorBar+`.hidden`, stepTimeout)
	bob.waitSideList("joined-rooms")
	if got := eval[string](bob, `document.querySelector('#room-title').textContent`); got == "secret" {
		t.Errorf("bob shows the room %q", got)
	}
	if got := eval[string](bob, `document.querySelector('#error-text').textContent`); got != "Could not join secret: You are not allowed to do that" {
		t.Errorf("bob's error reads %q", got)
	}
	alice.waitMembers("alice")

	// The owner invites bob from the page; bob's page tells him, and its
	// Open joins him to the private room.
	alice.do("invite bob",
		chromedp.Click(tid("invite-button")),
		setValue("invite-input", "bob"),
		chromedp.Click(tid("invite-send")))
	alice.waitJS("the invitation sent", `document.querySelector('[data-testid=invite-form]').hidden`+
		` && [...document.querySelectorAll('[data-testid=notice][data-kind=sent]')].map((e) => e.querySelector('.page-notice-text').textContent).join('|') === 'bob is invited to secret'`, stepTimeout)
	bob.waitJS("bob's invitation", `[...document.querySelectorAll('[data-testid=notice][data-kind=invited]')].map((e) => e.querySelector('.page-notice-text').textContent).join('|') === 'alice invited you to secret'`, stepTimeout)
	bob.do("open the invitation", chromedp.Click(chromedp.CSS(`[data-testid=notice][data-kind=invited] [data-testid=notice-open]`)))
	bob.waitJoined("bob", "secret")
	alice.waitMembers("alice", "bob")
	// bob, a member of a private room he does not own, may not invite.
	bob.waitJS("no Invite for bob", `document.querySelector('[data-testid=invite-button]').hidden`, stepTimeout)
}

// The owner mutes a member, whose page says so and refuses to send, and
// kicks another, whose page says so and leaves the room; the others' member
// lists lose the kicked user.
func TestKickAndMute(t *testing.T) {
	e := newEnv(t)
	alice := e.browser.open(t, "alice", e.url+"/?user=alice&room=hall")
	alice.waitJoined("alice", "hall")
	bob := e.browser.open(t, "bob", e.url+"/?user=bob&room=hall")
	bob.waitJoined("bob", "hall")
	carol := e.browser.open(t, "carol", e.url+"/?user=carol&room=hall")
	carol.waitJoined("carol", "hall")
	alice.waitMembers("alice", "bob", "carol")

	alice.memberAction("carol", "mute")
	alice.waitJS("carol marked muted", `document.querySelector('[data-testid=members] li[data-user="carol"] [data-testid=member-muted]')?.textContent === 'muted'`, stepTimeout)
	carol.waitJS("carol told she is muted", `!document.querySelector('[data-testid=muted-notice]').hidden`+
		` && document.querySelector('[data-testid=message-input]').disabled`, stepTimeout)
	alice.memberAction("carol", "unmute")
	carol.waitJS("carol unmuted", `document.querySelector('[data-testid=muted-notice]').hidden`+
		` && !document.querySelector('[data-testid=message-input]').disabled`, stepTimeout)
	carol.send("thanks")

	alice.memberAction("bob", "kick")
	bob.waitJS("bob told he was kicked", `[...document.querySelectorAll('[data-testid=notice][data-kind=kick]')].map((e) => e.querySelector('.page-notice-text').textContent).join('|') === 'You were kicked out of hall by alice.'`, stepTimeout)
	bob.waitSideList("joined-rooms")
	bob.waitJS("bob shows no room", `document.querySelector('#room-title').textContent === 'No room yet'`, stepTimeout)
	alice.waitMembers("alice", "carol")
	carol.waitMembers("alice", "carol")
	// Bob's members menu was never the owner's: carol sees no moderation.
	carol.do("open alice's menu", chromedp.Click(chromedp.CSS(`[data-testid=members] li[data-user="alice"] .member-btn`)))
	if got := eval[[]string](carol, `[...document.querySelectorAll('[data-testid=member-menu] button')].map((b) => b.dataset.action)`); len(got) != 1 || got[0] != "message" {
		t.Errorf("carol's menu of alice: %q, want only message", got)
	}
}

// Typing on one page shows "bob is typing…" on the other, and it goes away
// a few seconds after the last notice.
func TestTypingIndicator(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.openPair(t, "lobby")
	alice.waitMembers("alice", "bob")

	bob.do("type without sending", chromedp.SendKeys(tid("message-input"), "hel"))
	alice.waitJS("bob is typing", `document.querySelector('[data-testid=typing]').textContent === 'bob is typing…'`+
		` && !document.querySelector('[data-testid=typing]').hidden`, stepTimeout)
	if got := eval[bool](bob, `document.querySelector('[data-testid=typing]').hidden`); !got {
		t.Errorf("bob's page shows his own typing")
	}
	alice.waitJS("the typing notice gone", `document.querySelector('[data-testid=typing]').hidden`+
		` && document.querySelector('[data-testid=typing]').textContent === ''`, stepTimeout)
}
