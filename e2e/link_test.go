package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/chatstate/chatstate/internal/testenv"
)

// A link that names the user and the room joins the room as the page opens,
// without a press on Join: the page shows the room live and the server counts
// the user among its members. A link with the user alone fills in the name
// and joins nothing.
func TestLinkJoinsWithoutAClick(t *testing.T) {
	e := newEnv(t)

	alice := e.browser.open(t, "alice", e.url+"/?user=alice&room=lobby")
	alice.waitJoined("alice", "lobby")
	testenv.WaitFor(t, stepTimeout, func() error {
		resp, err := http.Get(e.url + "/api/rooms/lobby")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var room struct {
			Members []struct{ User string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&room); err != nil || len(room.Members) != 1 || room.Members[0].User != "alice" {
			return fmt.Errorf("GET /api/rooms/lobby: %d %+v %v, want alice the one member", resp.StatusCode, room, err)
		}
		return nil
	})
	alice.send("joined by the link")
	alice.waitTexts([]string{"joined by the link"})

	bob := e.browser.open(t, "bob", e.url+"/?user=bob")
	bob.waitStatus("live", stepTimeout)
	if got := eval[string](bob, `document.querySelector('#room-title').textContent + '/' + document.querySelectorAll('[data-testid=joined-rooms] li').length`); got != "No room yet/0" {
		t.Errorf("bob: with ?user= alone the page shows %q, want no room joined", got)
	}
}
