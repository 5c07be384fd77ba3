package client_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/chatstate/chatstate/client"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// TestReadStateAndChanges: the unread counts the server tells, a read
// marker that clears them, and an edit, a reaction and a delete with the
// errors of the wrong author and an unknown message; a later join shows the
// messages in their current state.
func TestReadStateAndChanges(t *testing.T) {
	s := newStack(t, server.Config{})
	alice := dial(t, s, "alice", client.Options{})
	bob := dial(t, s, "bob", client.Options{})
	ar, br := join(t, alice, "r"), join(t, bob, "r")
	aup := collect(ar)
	unread := func(r *client.Room, want client.Unread) {
		t.Helper()
		testenv.WaitFor(t, wait, func() error {
			if got, ok := r.Unread(); !ok || got != want {
				return fmt.Errorf("unread %+v (%v), want %+v", got, ok, want)
			}
			return nil
		})
	}
	// The first unread frame follows alice's own join event: her marker.
	// (The collector reads Updates on a goroutine of its own: it may be
	// behind the unread frame.)
	var start client.Unread
	testenv.WaitFor(t, wait, func() error {
		var ok bool
		if start, ok = ar.Unread(); !ok || len(aup.entries()) == 0 {
			return errors.New("no unread frame or no join event yet")
		}
		return nil
	})
	if want := aup.entries()[0]; want.Event.Type != "join" || start != (client.Unread{Cursor: want.Cursor}) {
		t.Fatalf("first unread %+v, want the marker at alice's join %+v", start, want)
	}
	c1 := send(t, br, "hi @alice")
	send(t, br, "again")
	unread(ar, client.Unread{Count: 2, Mentions: 1, Cursor: start.Cursor})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := ar.Read(ctx, c1); err != nil {
		t.Fatal(err)
	}
	unread(ar, client.Unread{Count: 1, Cursor: c1})

	aup.waitText(t, "again")
	var id string
	for _, e := range aup.entries() {
		if e.Cursor == c1 {
			id = e.Event.ID
		}
	}
	if _, err := ar.Edit(ctx, id, "mine now"); !errors.Is(err, client.ErrForbidden) {
		t.Fatalf("alice edits bob's message: %v, want forbidden", err)
	}
	if _, err := ar.React(ctx, "nosuchid", "+1", true); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("a reaction to an unknown message: %v, want not_found", err)
	}
	if _, err := br.Edit(ctx, id, "hi @alice!"); err != nil {
		t.Fatal(err)
	}
	if _, err := ar.React(ctx, id, "+1", true); err != nil {
		t.Fatal(err)
	}
	last, err := br.Delete(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// alice's stream carries each change as it happened.
	testenv.WaitFor(t, wait, func() error {
		es := aup.entries()
		if len(es) == 0 || es[len(es)-1].Cursor != last {
			return fmt.Errorf("alice's stream ends at %v, want the delete at %d", describe(es), last)
		}
		return nil
	})
	var changes []string
	for _, e := range aup.entries() {
		if e.Event.ID == id && e.Event.Type != "message" {
			changes = append(changes, e.Event.Type+":"+e.Event.User)
		}
	}
	if fmt.Sprint(changes) != "[edit:bob react:alice delete:bob]" {
		t.Fatalf("changes of the message in alice's stream: %v", changes)
	}
	carol := dial(t, s, "carol", client.Options{})
	var shown []string
	for _, e := range join(t, carol, "r").Snapshot().Events {
		shown = append(shown, fmt.Sprintf("%s:%q:%v:%v", e.Event.User, e.Event.Text, e.Event.Deleted, e.Event.Reactions))
	}
	if got := fmt.Sprint(shown); got != `[bob:"":true:map[] bob:"again":false:map[]]` {
		t.Fatalf("carol's history: %s", got)
	}
}
