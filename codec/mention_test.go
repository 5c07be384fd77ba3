package codec_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/chatstate/chatstate/codec"
)

func TestMentions(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"plain", "hi @bob", []string{"bob"}},
		{"bounded by a comma", "@bob, look", []string{"bob"}},
		{"a dot is part of a name", "@bob. and @bob.smith", []string{"bob.", "bob.smith"}},
		{"several and repeated", "@a @b-c @a!", []string{"a", "b-c", "a"}},
		{"inside a word", "mail alice@bob now", []string{"bob"}},
		{"no name after @", "@ @@ @-x @.", nil},
		{"too long to be a name", "@" + strings.Repeat("x", 65), nil},
		{"unicode after", "@bob\u00e9", []string{"bob"}},
		{"at the end", "cc @carol", []string{"carol"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			codec.Mentions(tc.text, func(n string) { got = append(got, n) })
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Mentions(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
	if !codec.Mentioned("hey @bob!", "bob") || codec.Mentioned("hey @bobby", "bob") || codec.Mentioned("hey bob", "bob") {
		t.Fatal("Mentioned disagrees with Mentions")
	}
}

func TestCheckEmoji(t *testing.T) {
	for emoji, ok := range map[string]bool{
		"\U0001F44D":            true,
		"+1":                    true,
		strings.Repeat("x", 32): true,
		strings.Repeat("x", 33): false,
		"":                      false,
		"a b":                   false,
		"a\tb":                  false,
		"\x00":                  false,
		"\xff":                  false,
	} {
		err := codec.CheckEmoji(emoji)
		if (err == nil) != ok || err != nil && !errors.Is(err, codec.ErrInvalid) {
			t.Errorf("CheckEmoji(%q) = %v, want ok %v", emoji, err, ok)
		}
	}
}

// TestLifecycleEventsValidate pins the fields each new type takes and refuses.
func TestLifecycleEventsValidate(t *testing.T) {
	ev := func(typ codec.EventType, f func(e *codec.Event)) *codec.Event {
		e := codec.NewEvent(typ, "lobby", "alice")
		f(&e)
		return &e
	}
	for _, tc := range []struct {
		name string
		e    *codec.Event
		ok   bool
	}{
		{"read", ev(codec.Read, func(e *codec.Event) { e.Cursor = 7 }), true},
		{"read at 0", ev(codec.Read, func(e *codec.Event) {}), true},
		{"read before 0", ev(codec.Read, func(e *codec.Event) { e.Cursor = -1 }), false},
		{"read with text", ev(codec.Read, func(e *codec.Event) { e.Text = "x" }), false},
		{"edit", ev(codec.Edit, func(e *codec.Event) { e.Text = "new" }), true},
		{"edit without text", ev(codec.Edit, func(e *codec.Event) {}), false},
		{"edit padded", ev(codec.Edit, func(e *codec.Event) { e.Text = " new" }), false},
		{"delete", ev(codec.Delete, func(e *codec.Event) {}), true},
		{"delete with text", ev(codec.Delete, func(e *codec.Event) { e.Text = "x" }), false},
		{"react on", ev(codec.React, func(e *codec.Event) { e.Emoji, e.On = "\U0001F44D", true }), true},
		{"react off", ev(codec.React, func(e *codec.Event) { e.Emoji = "\U0001F44D" }), true},
		{"react without emoji", ev(codec.React, func(e *codec.Event) { e.On = true }), false},
		{"message with a cursor", ev(codec.Message, func(e *codec.Event) { e.Text, e.Cursor = "x", 3 }), false},
		{"message with an emoji", ev(codec.Message, func(e *codec.Event) { e.Text, e.Emoji = "x", "y" }), false},
		{"edit with on", ev(codec.Edit, func(e *codec.Event) { e.Text, e.On = "x", true }), false},
	} {
		err := tc.e.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}
