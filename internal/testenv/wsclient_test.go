package testenv

import (
	"encoding/json"
	"testing"
)

// TestJSONEqual: a wanted value matches a decoded JSON field only when both
// are the same JSON value, type included.
func TestJSONEqual(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  string // a JSON value, as a frame field carries it
		want any
		eq   bool
	}{
		{"int and number", `3`, 3, true},
		{"int64 and number", `3`, int64(3), true},
		{"int and string", `"3"`, 3, false},
		{"string and number", `3`, "3", false},
		{"strings", `"a"`, "a", true},
		{"different strings", `"a"`, "b", false},
		{"bool and string", `true`, "true", false},
		{"bools", `false`, false, true},
		{"null and nil", `null`, nil, true},
		{"null and empty string", `null`, "", false},
		{"empty list and nil slice", `[]`, []string(nil), false},
		{"lists", `["a","b"]`, []string{"a", "b"}, true},
		{"list order", `["a","b"]`, []string{"b", "a"}, false},
		{"objects", `{"a":1,"b":"x"}`, map[string]any{"a": 1, "b": "x"}, true},
		{"object value type", `{"a":1}`, map[string]any{"a": "1"}, false},
		{"float", `1.5`, 1.5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got any
			if err := json.Unmarshal([]byte(tc.got), &got); err != nil {
				t.Fatal(err)
			}
			eq, err := JSONEqual(got, tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if eq != tc.eq {
				t.Fatalf("JSONEqual(%s, %#v) = %v, want %v", tc.got, tc.want, eq, tc.eq)
			}
		})
	}
	if _, err := JSONEqual(nil, make(chan int)); err == nil {
		t.Fatal("JSONEqual with a value that does not encode: no error")
	}
}
