package api

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
)

// TestFormsOfRowsAreExact turns a room and a user row into their HTTP forms
// and compares the whole JSON: members sorted with session counts, only the
// rooms the user is online in, a session counted once across rooms.
func TestFormsOfRowsAreExact(t *testing.T) {
	room := &codec.RoomState{V: codec.Version, Room: "lobby", Cursor: 41, Messages: 7,
		Created: "2026-01-02T03:04:05.006Z", Updated: "2026-01-02T03:04:09.000Z",
		Members: map[string]map[string]string{"zoe": {"s1": "a"}, "ann": {"s2": "a", "s3": "b"}}}
	user := &codec.UserState{V: codec.Version, User: "ann", LastSeen: "2026-01-02T03:04:09.000Z",
		Rooms: map[string]*codec.UserRoom{
			"lobby": {Sessions: map[string]string{"s2": "a", "s3": "b"}, Applied: 40},
			"dev":   {Sessions: map[string]string{"s2": "a"}, Applied: 12},
			"gone":  {Applied: 9},
		}}
	for _, c := range []struct {
		name string
		got  any
		want string
	}{
		{"summary", SummaryOf(room), `{"room":"lobby","members":2,"messages":7,"updated":"2026-01-02T03:04:09.000Z","cursor":41}`},
		{"room", RoomOf(room, "e1"), `{"room":"lobby","cursor":41,"epoch":"e1","members":[{"user":"ann","sessions":2},{"user":"zoe","sessions":1}],
			"messages":7,"created":"2026-01-02T03:04:05.006Z","updated":"2026-01-02T03:04:09.000Z","owner":"","moderators":[],"private":false,"topic":"","banned":[],"muted":[]}`},
		{"public room", RoomOf(room, "e1").Public(), `{"room":"lobby","cursor":41,"epoch":"e1","members":[{"user":"ann","sessions":2},{"user":"zoe","sessions":1}],
			"messages":7,"created":"2026-01-02T03:04:05.006Z","updated":"2026-01-02T03:04:09.000Z","owner":"","moderators":[],"private":false,"topic":""}`},
		{"user", UserOf(user), `{"user":"ann","rooms":["dev","lobby"],"sessions":2,"last_seen":"2026-01-02T03:04:09.000Z"}`},
		{"user with no room", UserOf(codec.NewUserState("bob")), `{"user":"bob","rooms":[],"sessions":0,"last_seen":""}`},
	} {
		b, err := json.Marshal(c.got)
		if err != nil {
			t.Fatal(err)
		}
		var got, want any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(c.want), &want); err != nil {
			t.Fatal(err)
		}
		if ok, err := testenv.JSONEqual(got, want); err != nil || !ok {
			t.Errorf("%s: %s, want %s", c.name, b, c.want)
		}
	}
}

// TestTheDocumentNamesTheForms holds the document and the Go forms to one
// shape: the JSON keys of each form with every field set are exactly its
// schema's properties, and those of the form with only what is always
// there (a room's public form) are exactly its required ones.
func TestTheDocumentNamesTheForms(t *testing.T) {
	var doc struct {
		OpenAPI    string `json:"openapi"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
				Required   []string       `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	keysOf := func(form any) []string {
		b, _ := json.Marshal(form)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return slices.Sorted(maps.Keys(m))
	}
	fullRoom := codec.NewRoomState("dm-x")
	fullRoom.DM = []string{"a", "b"}
	for schema, forms := range map[string][2]any{"RoomSummary": {RoomSummary{}, RoomSummary{}}, "Room": {RoomOf(fullRoom, "e"), RoomOf(codec.NewRoomState("r"), "e").Public()},
		"User": {UserJSON{}, UserJSON{}}, "Member": {codec.Member{}, codec.Member{}}} {
		keys, always := keysOf(forms[0]), keysOf(forms[1])
		s, ok := doc.Components.Schemas[schema]
		if !ok {
			t.Errorf("no schema %s", schema)
			continue
		}
		var props []string
		for k := range s.Properties {
			props = append(props, k)
		}
		slices.Sort(props)
		req := slices.Sorted(slices.Values(s.Required))
		if !slices.Equal(keys, props) || !slices.Equal(always, req) {
			t.Errorf("%s: form keys %v (always %v), schema properties %v, required %v", schema, keys, always, props, req)
		}
	}
}
