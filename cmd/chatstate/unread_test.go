package main_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
)

// unreadInLog counts, from the room's log, the messages of others after
// user's first join of the room: the unread count the tables must hold for
// a user who never moved their marker. joined is false if user never
// joined the room.
func unreadInLog(t *testing.T, base, room, user string) (count int, joined bool) {
	t.Helper()
	for _, e := range roomEvents(t, base, room) {
		switch {
		case e.Event["type"] == "join" && e.Event["user"] == user:
			joined = true
		case e.Event["type"] == "message" && e.Event["user"] != user && joined:
			count++
		}
	}
	return count, joined
}

// checkUnread waits until every server of urls answers, for each user, the
// unread counts that the log gives in each of their rooms (rooms: user →
// the rooms they joined and never marked read).
func checkUnread(t *testing.T, urls []string, rooms map[string][]string) {
	t.Helper()
	for user, rs := range rooms {
		var want []string
		for _, room := range slices.Sorted(slices.Values(rs)) {
			n, joined := unreadInLog(t, urls[0], room, user)
			if !joined {
				t.Fatalf("%s never joined %s", user, room)
			}
			want = append(want, fmt.Sprintf("%s:%d", room, n))
		}
		for _, u := range urls {
			testenv.WaitFor(t, 60*time.Second, func() error {
				var got struct {
					Rooms []struct {
						Room  string
						Count int
					}
				}
				if err := fetchJSON(u+"/api/users/"+user+"/unread", &got); err != nil {
					return err
				}
				var have []string
				for _, r := range got.Rooms {
					have = append(have, fmt.Sprintf("%s:%d", r.Room, r.Count))
				}
				if !slices.Equal(have, want) {
					return fmt.Errorf("%s's unread on %s: %v, the log gives %v", user, u, have, want)
				}
				return nil
			})
		}
	}
}
