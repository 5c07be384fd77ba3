package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// getKeyed is a GET with or without the API key: its status, ETag and body.
func getKeyed(t *testing.T, url, key string, into any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, resp.Header.Get("ETag")
}

// TestPrivateRoomsOverHTTP checks that without the API key a private room is
// absent from the list and 404 on its own, that the key sees it with its
// bans, and that the list's tags differ between the two answers.
func TestPrivateRoomsOverHTTP(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{APIKey: "k"})
	alice := s.dial("alice")
	for _, room := range []string{"open", "shut"} {
		alice.Send(frame{"op": "join", "room": room})
		// The snapshot is the room before the first join: no owner yet.
		alice.Expect("snapshot", frame{"room": room, "owner": "", "private": false, "topic": "", "moderators": []string{}, "banned": nil})
		alice.ExpectEvent(room, "join", "alice")
	}
	act(t, alice, frame{"op": "settings", "room": "shut", "private": true, "topic": "inner circle", "ref": 1}, "settings")
	act(t, alice, frame{"op": "ban", "room": "shut", "user": "zed", "on": true, "ref": 2}, "ban")
	type list struct{ Rooms []struct{ Room string } }
	names := func(l list) (out []string) {
		for _, r := range l.Rooms {
			out = append(out, r.Room)
		}
		return out
	}
	var tagPublic, tagAll string
	testenv.WaitFor(t, 10*time.Second, func() error {
		var pub, all list
		_, tagPublic = getKeyed(t, s.http.URL+"/api/rooms", "", &pub)
		_, tagAll = getKeyed(t, s.http.URL+"/api/rooms", "k", &all)
		if !slices.Equal(names(pub), []string{"open"}) || !slices.Equal(names(all), []string{"open", "shut"}) {
			return fmt.Errorf("without the key %v, with it %v", names(pub), names(all))
		}
		return nil
	})
	if tagPublic == "" || tagPublic == tagAll {
		t.Fatalf("tags %q and %q", tagPublic, tagAll)
	}
	var body map[string]any
	if code, _ := getKeyed(t, s.http.URL+"/api/rooms/shut", "", &body); code != 404 {
		t.Fatalf("without the key: %d %v", code, body)
	}
	if code, _ := getKeyed(t, s.http.URL+"/api/rooms/shut/events", "wrong", &body); code != 404 {
		t.Fatalf("events with a wrong key: %d %v", code, body)
	}
	body = nil
	code, _ := getKeyed(t, s.http.URL+"/api/rooms/shut", "k", &body)
	want := map[string]any{"owner": "alice", "private": true, "topic": "inner circle", "moderators": []any{}, "banned": []any{"zed"}, "muted": []any{}}
	for k, v := range want {
		if ok, _ := testenv.JSONEqual(body[k], v); code != 200 || !ok {
			t.Fatalf("with the key: %d %v, want %s=%v", code, body, k, v)
		}
	}
	body = nil
	getKeyed(t, s.http.URL+"/api/rooms/open", "", &body)
	if _, ok := body["banned"]; ok || body["owner"] != "alice" {
		t.Fatalf("a public room without the key: %v", body)
	}
	// A stranger cannot join the private room over WebSocket either.
	bob := s.dial("bob")
	bob.Send(frame{"op": "join", "room": "shut", "ref": 3})
	bob.Expect("error", frame{"code": "forbidden", "ref": 3})

	// The user endpoints do not name the private room without the key
	// either: not in a user's rooms, the list's or their own, nor in their
	// read state.
	type user struct {
		Rooms []string `json:"rooms"`
	}
	testenv.WaitFor(t, 10*time.Second, func() error {
		var one, keyed user
		var all struct{ Users []user }
		var unread struct{ Rooms []struct{ Room string } }
		getKeyed(t, s.http.URL+"/api/users/alice", "", &one)
		getKeyed(t, s.http.URL+"/api/users/alice", "k", &keyed)
		getKeyed(t, s.http.URL+"/api/users?online=true&prefix=alice", "", &all)
		getKeyed(t, s.http.URL+"/api/users/alice/unread", "", &unread)
		var unreadRooms []string
		for _, r := range unread.Rooms {
			unreadRooms = append(unreadRooms, r.Room)
		}
		if !slices.Equal(one.Rooms, []string{"open"}) || !slices.Equal(keyed.Rooms, []string{"open", "shut"}) ||
			len(all.Users) != 1 || !slices.Equal(all.Users[0].Rooms, []string{"open"}) || !slices.Equal(unreadRooms, []string{"open"}) {
			return fmt.Errorf("alice without the key %v, in the list %v, unread %v; with the key %v", one.Rooms, all.Users, unreadRooms, keyed.Rooms)
		}
		var keyedUnread struct{ Rooms []struct{ Room string } }
		getKeyed(t, s.http.URL+"/api/users/alice/unread", "k", &keyedUnread)
		if len(keyedUnread.Rooms) != 2 {
			return fmt.Errorf("unread with the key %v", keyedUnread)
		}
		return nil
	})
	// The unkeyed users list's tag moves when a room of theirs turns public.
	var before struct{ Users []user }
	_, tag1 := getKeyed(t, s.http.URL+"/api/users?prefix=alice", "", &before)
	act(t, alice, frame{"op": "settings", "room": "shut", "private": false, "ref": 4}, "settings")
	testenv.WaitFor(t, 10*time.Second, func() error {
		var after struct{ Users []user }
		_, tag2 := getKeyed(t, s.http.URL+"/api/users?prefix=alice", "", &after)
		if tag2 == tag1 || len(after.Users) != 1 || !slices.Equal(after.Users[0].Rooms, []string{"open", "shut"}) {
			return fmt.Errorf("after shut turned public: %v (tag %s, before %s)", after.Users, tag2, tag1)
		}
		return nil
	})
}
