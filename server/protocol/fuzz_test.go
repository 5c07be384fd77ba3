package protocol

import (
	"slices"
	"testing"

	"github.com/chatstate/chatstate/codec"
)

// FuzzDecodeClientFrame feeds arbitrary bytes to the client frame decoder
// (DecodeClientFrame), as /ws reads them; its corpus is
// testdata/fuzz/FuzzDecodeClientFrame.
// Invariants: it never panics; a refused frame gets a code of the contract
// (bad_request or too_large) and a message; an accepted frame has a known op
// and every field its op needs, valid: room names match the name rule, a
// send's text is already normalized, history is within 0..500, after is at
// least -1.
func FuzzDecodeClientFrame(f *testing.F) {
	for _, seed := range []string{
		`{"op":"join","room":"lobby"}`,
		`{"op":"join","room":"lobby","after":41,"epoch":"abc","history":10,"ref":"j1"}`,
		`{"op":"leave","room":"lobby","ref":2}`,
		`{"op":"send","room":"lobby","text":"  hi  ","ref":{"any":"json"}}`,
		`{"op":"ping"}`,
		`{"op":"send","room":"lobby","text":""}`,
		`{"op":"join","room":"-x"}`,
		`{"op":"join","room":"r","history":501}`,
		`[1,2,3]`,
		`{"op":"join","room":"r","after":1e30}`,
		`{"op":"join","room":"r","after":99999999999999999999,"history":2.5}`,
		`{"op":"join","room":"r"} {"op":"ping"}`,
		"not json",
		`{"op":"settings","room":"r","private":true,"topic":"  plans  ","ref":1}`,
		`{"op":"settings","room":"r"}`,
		`{"op":"role","room":"r","user":"bob","role":"moderator"}`,
		`{"op":"role","room":"r","user":"bob","role":"owner"}`,
		`{"op":"invite","room":"r","user":"carol"}`,
		`{"op":"kick","room":"r","user":"-x"}`,
		`{"op":"ban","room":"r","user":"dave","on":true}`,
		`{"op":"mute","room":"r","user":"dave"}`,
		`{"op":"dm","user":"bob","ref":"d"}`,
		`{"op":"typing","room":"r"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, e := DecodeClientFrame(data)
		if fr == nil {
			t.Fatal("nil frame")
		}
		if e != nil {
			if !slices.Contains([]string{CodeBadRequest, CodeTooLarge}, e.Code) || e.Message == "" {
				t.Fatalf("refusal %+v", e)
			}
			return
		}
		switch fr.Op {
		case "ping":
		case "join", "leave", "send", "read", "edit", "delete", "react", "settings", "role", "invite", "kick", "ban", "mute", "typing":
			if !codec.ValidName(fr.Room) {
				t.Fatalf("accepted room %q", fr.Room)
			}
		case "dm":
		default:
			t.Fatalf("accepted op %q", fr.Op)
		}
		if fr.Op == "send" {
			if fr.Text == nil {
				t.Fatal("send without text accepted")
			}
			if n, err := codec.NormalizeText(*fr.Text); err != nil || n != *fr.Text {
				t.Fatalf("send text %q not normalized", *fr.Text)
			}
		}
		switch fr.Op {
		case "role", "invite", "kick", "ban", "mute", "dm":
			if !codec.ValidName(fr.User) {
				t.Fatalf("%s of user %q accepted", fr.Op, fr.User)
			}
		case "settings":
			if fr.Private == nil && fr.Topic == nil || fr.Topic != nil && codec.CheckTopic(*fr.Topic) != nil {
				t.Fatalf("settings %+v accepted", fr)
			}
		}
		if fr.Op == "role" && fr.Role != codec.RoleModerator && fr.Role != codec.RoleMember || (fr.Op == "ban" || fr.Op == "mute") && fr.On == nil {
			t.Fatalf("%s %+v accepted", fr.Op, fr)
		}
		if fr.Op == "join" {
			if fr.History != nil && (*fr.History < 0 || *fr.History > codec.HistoryLimit) {
				t.Fatalf("history %d accepted", *fr.History)
			}
			if fr.After != nil && *fr.After < -1 {
				t.Fatalf("after %d accepted", *fr.After)
			}
		}
	})
}
