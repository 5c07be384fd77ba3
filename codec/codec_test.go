package codec_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/chatstate/chatstate/codec"
)

const goodTS = "2024-05-01T12:00:00.000Z"

func TestValidNameAndCheckName(t *testing.T) {
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{"one char", "a", true},
		{"one digit", "7", true},
		{"64 chars", "a" + strings.Repeat("b", 63), true},
		{"65 chars", "a" + strings.Repeat("b", 64), false},
		{"inner punctuation", "A.b-c_d9", true},
		{"trailing punctuation", "a.-_", true},
		{"empty", "", false},
		{"leading dot", ".a", false},
		{"leading dash", "-a", false},
		{"leading underscore", "_a", false},
		{"unicode letter", "é", false},
		{"unicode inside", "aé", false},
		{"space", "a b", false},
		{"trailing newline", "a\n", false},
		{"slash", "a/b", false},
		{"at sign", "a@b", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := codec.ValidName(c.in); got != c.ok {
				t.Fatalf("ValidName(%q) = %v, want %v", c.in, got, c.ok)
			}
			err := codec.CheckName("room", c.in)
			if c.ok {
				if err != nil {
					t.Fatalf("CheckName(%q) = %v, want nil", c.in, err)
				}
				return
			}
			if !errors.Is(err, codec.ErrInvalid) {
				t.Fatalf("CheckName(%q) = %v, want ErrInvalid", c.in, err)
			}
			if !strings.Contains(err.Error(), "room") {
				t.Fatalf("CheckName error %q does not name the field", err)
			}
			if c.in == "" && !strings.Contains(err.Error(), "missing") {
				t.Fatalf("CheckName(\"\") = %q, want \"missing\"", err)
			}
		})
	}
}

func TestNormalizeText(t *testing.T) {
	max := strings.Repeat("a", codec.MaxTextBytes)
	cases := []struct {
		name     string
		in       string
		want     string
		wantErr  bool
		tooLarge bool
	}{
		{"plain", "hello", "hello", false, false},
		{"trimmed", "  hi \n\t", "hi", false, false},
		{"inner space kept", " a  b ", "a  b", false, false},
		{"unicode space trimmed", "\u00a0x\u3000", "x", false, false},
		{"multibyte", "héllo 世界", "héllo 世界", false, false},
		{"empty", "", "", true, false},
		{"only white space", " \t\r\n ", "", true, false},
		{"exactly max", max, max, false, false},
		{"max after trim", "  " + max + "\n", max, false, false},
		{"max plus one", max + "a", "", true, true},
		{"max plus one multibyte", max[1:] + "é", "", true, true},
		{"invalid utf8", "\xff", "", true, false},
		{"invalid utf8 suffix", "ok\xfe", "", true, false},
		{"invalid and too long", max + "\xff", "", true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := codec.NormalizeText(c.in)
			if !c.wantErr {
				if err != nil || got != c.want {
					t.Fatalf("NormalizeText = %q, %v; want %q, nil", got, err, c.want)
				}
				return
			}
			if got != "" || !errors.Is(err, codec.ErrInvalid) {
				t.Fatalf("NormalizeText = %q, %v; want \"\", ErrInvalid", got, err)
			}
			if errors.Is(err, codec.ErrTooLarge) != c.tooLarge {
				t.Fatalf("errors.Is(%v, ErrTooLarge) = %v, want %v", err, !c.tooLarge, c.tooLarge)
			}
		})
	}
}

func validEvent(typ codec.EventType) codec.Event {
	e := codec.Event{V: 1, ID: "e1", Type: typ, Room: "lobby", User: "alice", TS: goodTS, Server: "srv1"}
	if typ == codec.Message {
		e.Text = "hello"
	} else {
		e.Session = "s1"
	}
	return e
}

func TestEventValidate(t *testing.T) {
	cases := []struct {
		name     string
		typ      codec.EventType
		mut      func(e *codec.Event)
		ok       bool
		tooLarge bool
	}{
		{"join", codec.Join, nil, true, false},
		{"leave", codec.Leave, nil, true, false},
		{"expire", codec.Expire, nil, true, false},
		{"message", codec.Message, nil, true, false},
		{"message with session", codec.Message, func(e *codec.Event) { e.Session = "s1" }, true, false},
		{"message without server", codec.Message, func(e *codec.Event) { e.Server = "" }, true, false},
		{"join without session", codec.Join, func(e *codec.Event) { e.Session = "" }, false, false},
		{"leave without session", codec.Leave, func(e *codec.Event) { e.Session = "" }, false, false},
		{"expire without session", codec.Expire, func(e *codec.Event) { e.Session = "" }, false, false},
		{"join with text", codec.Join, func(e *codec.Event) { e.Text = "x" }, false, false},
		{"leave with text", codec.Leave, func(e *codec.Event) { e.Text = "x" }, false, false},
		{"expire with text", codec.Expire, func(e *codec.Event) { e.Text = "x" }, false, false},
		{"session 64 bytes", codec.Join, func(e *codec.Event) { e.Session = strings.Repeat("s", 64) }, true, false},
		{"session 65 bytes", codec.Join, func(e *codec.Event) { e.Session = strings.Repeat("s", 65) }, false, false},
		{"message session 65 bytes", codec.Message, func(e *codec.Event) { e.Session = strings.Repeat("s", 65) }, false, false},
		{"server 65 bytes", codec.Join, func(e *codec.Event) { e.Server = strings.Repeat("s", 65) }, false, false},
		{"message empty text", codec.Message, func(e *codec.Event) { e.Text = "" }, false, false},
		{"message blank text", codec.Message, func(e *codec.Event) { e.Text = "  " }, false, false},
		{"message untrimmed text", codec.Message, func(e *codec.Event) { e.Text = " hello" }, false, false},
		{"message max text", codec.Message, func(e *codec.Event) { e.Text = strings.Repeat("x", 4096) }, true, false},
		{"message too large", codec.Message, func(e *codec.Event) { e.Text = strings.Repeat("x", 4097) }, false, true},
		{"message invalid utf8", codec.Message, func(e *codec.Event) { e.Text = "a\xffb" }, false, false},
		{"ts empty", codec.Join, func(e *codec.Event) { e.TS = "" }, false, false},
		{"ts without millis", codec.Join, func(e *codec.Event) { e.TS = "2024-05-01T12:00:00Z" }, false, false},
		{"ts with micros", codec.Join, func(e *codec.Event) { e.TS = "2024-05-01T12:00:00.000000Z" }, false, false},
		{"ts with offset", codec.Join, func(e *codec.Event) { e.TS = "2024-05-01T12:00:00.000+01:00" }, false, false},
		{"ts space separator", codec.Join, func(e *codec.Event) { e.TS = "2024-05-01 12:00:00.000Z" }, false, false},
		{"ts month 13", codec.Join, func(e *codec.Event) { e.TS = "2024-13-01T12:00:00.000Z" }, false, false},
		{"version 0", codec.Join, func(e *codec.Event) { e.V = 0 }, false, false},
		{"version 2", codec.Join, func(e *codec.Event) { e.V = 2 }, false, false},
		{"unknown type", codec.EventType("kick"), nil, false, false},
		{"empty type", codec.EventType(""), nil, false, false},
		{"id empty", codec.Join, func(e *codec.Event) { e.ID = "" }, false, false},
		{"id 64 bytes", codec.Join, func(e *codec.Event) { e.ID = strings.Repeat("i", 64) }, true, false},
		{"id 65 bytes", codec.Join, func(e *codec.Event) { e.ID = strings.Repeat("i", 65) }, false, false},
		{"room missing", codec.Join, func(e *codec.Event) { e.Room = "" }, false, false},
		{"room bad", codec.Join, func(e *codec.Event) { e.Room = "-x" }, false, false},
		{"user bad", codec.Message, func(e *codec.Event) { e.User = "a b" }, false, false},
		{"edit at its message's cursor", codec.Edit, func(e *codec.Event) { e.Text, e.Cursor = "new", 41 }, true, false},
		{"edit without a cursor", codec.Edit, func(e *codec.Event) { e.Text = "new" }, true, false},
		{"edit at a negative cursor", codec.Edit, func(e *codec.Event) { e.Text, e.Cursor = "new", -1 }, false, false},
		{"delete at its message's cursor", codec.Delete, func(e *codec.Event) { e.Cursor = 41 }, true, false},
		{"delete at a negative cursor", codec.Delete, func(e *codec.Event) { e.Cursor = -5 }, false, false},
		{"react", codec.React, func(e *codec.Event) { e.Emoji = "👍" }, true, false},
		{"react with a cursor", codec.React, func(e *codec.Event) { e.Emoji, e.Cursor = "👍", 41 }, false, false},
		{"message with a cursor", codec.Message, func(e *codec.Event) { e.Cursor = 41 }, false, false},
		{"read with what it marks", codec.Read, func(e *codec.Event) { e.Cursor, e.From, e.Marked, e.MarkedMentions = 90, 3, 70, 2 }, true, false},
		{"read with from at its cursor", codec.Read, func(e *codec.Event) { e.Cursor, e.From, e.Marked = 9, 9, 1 }, false, false},
		{"read with more mentions than marked", codec.Read, func(e *codec.Event) { e.Cursor, e.From, e.Marked, e.MarkedMentions = 9, 2, 1, 2 }, false, false},
		{"read with a negative count", codec.Read, func(e *codec.Event) { e.Cursor, e.From, e.Marked = 9, 2, -1 }, false, false},
		{"message with marked", codec.Message, func(e *codec.Event) { e.Marked = 4 }, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := validEvent(c.typ)
			if c.mut != nil {
				c.mut(&e)
			}
			err := e.Validate()
			if c.ok {
				if err != nil {
					t.Fatalf("Validate(%+v) = %v, want nil", e, err)
				}
				return
			}
			if !errors.Is(err, codec.ErrInvalid) {
				t.Fatalf("Validate(%+v) = %v, want ErrInvalid", e, err)
			}
			if errors.Is(err, codec.ErrTooLarge) != c.tooLarge {
				t.Fatalf("Validate = %v, ErrTooLarge want %v", err, c.tooLarge)
			}
		})
	}
}

// The contract's ts is fixed-width RFC 3339 (ApplyUser compares it as text).
func TestEventValidateRejectsNonCanonicalTS(t *testing.T) {
	for _, ts := range []string{"2024-05-01T9:00:00.000Z", "2024-05-01T1:02:03.004Z"} {
		e := validEvent(codec.Join)
		if e.TS = ts; !errors.Is(e.Validate(), codec.ErrInvalid) {
			t.Errorf("Validate accepts ts %q, want ErrInvalid", ts)
		}
	}
}

func TestDecodeEvent(t *testing.T) {
	good := `{"v":1,"id":"e1","type":"join","room":"lobby","user":"alice","ts":"` + goodTS + `","session":"s1"}`
	cases := []struct {
		name    string
		in      string
		wantErr error // nil: must decode
	}{
		{"valid", good, nil},
		{"valid with trailing white space", good + " \n\t", nil},
		{"unknown field", `{"v":1,"id":"e1","type":"join","room":"lobby","user":"alice","ts":"` + goodTS + `","session":"s1","extra":1}`, codec.ErrDecode},
		{"trailing object", good + good, codec.ErrDecode},
		{"trailing garbage", good + "x", codec.ErrDecode},
		{"trailing bracket", good + "]", codec.ErrDecode},
		{"version as string", `{"v":"1","id":"e1","type":"join","room":"lobby","user":"alice","ts":"` + goodTS + `","session":"s1"}`, codec.ErrDecode},
		{"version as float", `{"v":1.5,"id":"e1","type":"join","room":"lobby","user":"alice","ts":"` + goodTS + `","session":"s1"}`, codec.ErrDecode},
		{"room as number", `{"v":1,"id":"e1","type":"join","room":5,"user":"alice","ts":"` + goodTS + `","session":"s1"}`, codec.ErrDecode},
		{"missing version", `{"id":"e1","type":"join","room":"lobby","user":"alice","ts":"` + goodTS + `","session":"s1"}`, codec.ErrDecode},
		{"version 0", `{"v":0,"id":"e1","type":"join","room":"lobby","user":"alice","ts":"` + goodTS + `","session":"s1"}`, codec.ErrDecode},
		{"version 2", `{"v":2,"id":"e1","type":"join","room":"lobby","user":"alice","ts":"` + goodTS + `","session":"s1"}`, codec.ErrDecode},
		{"array", `[1,2]`, codec.ErrDecode},
		{"null", `null`, codec.ErrDecode},
		{"empty", ``, codec.ErrDecode},
		{"not json", `{not json`, codec.ErrDecode},
		{"truncated", good[:len(good)-1], codec.ErrDecode},
		{"decodes but invalid room", `{"v":1,"id":"e1","type":"join","room":"-x","user":"alice","ts":"` + goodTS + `","session":"s1"}`, codec.ErrInvalid},
		{"decodes but join without session", `{"v":1,"id":"e1","type":"join","room":"lobby","user":"alice","ts":"` + goodTS + `"}`, codec.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := codec.DecodeEvent([]byte(c.in))
			if c.wantErr == nil {
				if err != nil {
					t.Fatalf("DecodeEvent = %v", err)
				}
				want := codec.Event{V: 1, ID: "e1", Type: codec.Join, Room: "lobby", User: "alice", TS: goodTS, Session: "s1"}
				if *e != want {
					t.Fatalf("DecodeEvent = %+v, want %+v", *e, want)
				}
				return
			}
			if e != nil || !errors.Is(err, c.wantErr) {
				t.Fatalf("DecodeEvent = %v, %v; want nil, %v", e, err, c.wantErr)
			}
			other := codec.ErrInvalid
			if c.wantErr == codec.ErrInvalid {
				other = codec.ErrDecode
			}
			if errors.Is(err, other) {
				t.Fatalf("DecodeEvent error %v also wraps %v", err, other)
			}
		})
	}
}

func TestCodecRoundTrips(t *testing.T) {
	room := &codec.RoomState{V: codec.RoomVersion, Room: "lobby", Cursor: 42, Messages: 33, Created: goodTS, Updated: goodTS,
		Members: map[string]map[string]string{"alice": {"s1": "srv1", "s2": ""}}, Marks: []int64{3, 42}}
	user := &codec.UserState{V: 1, User: "alice", LastSeen: goodTS, Rooms: map[string]*codec.UserRoom{
		"lobby": {Sessions: map[string]string{"s1": "srv1"}, Applied: 7}, "old": {Applied: 2}}}
	pres := &codec.Presence{V: 1, Op: codec.AddSession, User: "alice", Room: "lobby", Session: "s1", Server: "srv1", Source: 7, TS: goodTS}
	dl := &codec.DeadLetter{V: 1, Reason: "bad", Topic: "chat.events", Partition: 3, Offset: 9, Key: "k", Value: []byte{0, 0xff, '{'}, TS: goodTS}
	cases := []struct {
		name string
		c    interface {
			Encode(interface{}) ([]byte, error)
			Decode([]byte) (interface{}, error)
		}
		v interface{}
	}{
		{"room", codec.RoomCodec{}, room},
		{"user", codec.UserCodec{}, user},
		{"presence", codec.PresenceCodec{}, pres},
		{"dead letter", codec.DeadLetterCodec{}, dl},
		{"raw", codec.Raw{}, []byte("anything \xff")},
		{"event join", codec.EventCodec{}, ptr(validEvent(codec.Join))},
		{"event leave", codec.EventCodec{}, ptr(validEvent(codec.Leave))},
		{"event expire", codec.EventCodec{}, ptr(validEvent(codec.Expire))},
		{"event message", codec.EventCodec{}, ptr(validEvent(codec.Message))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.c.Encode(c.v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.c.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.v) {
				t.Fatalf("round trip = %#v, want %#v", got, c.v)
			}
		})
	}
}

func ptr(e codec.Event) *codec.Event { return &e }

func TestEventCodecEncodesValue(t *testing.T) {
	e := validEvent(codec.Message)
	a, err1 := codec.EventCodec{}.Encode(e)
	b, err2 := codec.EventCodec{}.Encode(&e)
	if err1 != nil || err2 != nil || string(a) != string(b) {
		t.Fatalf("Encode(Event) = %s, %v; Encode(*Event) = %s, %v", a, err1, b, err2)
	}
}

func TestCodecEncodeWrongType(t *testing.T) {
	cases := []struct {
		name   string
		encode func(interface{}) ([]byte, error)
		v      interface{}
		want   string
	}{
		{"room value not pointer", codec.RoomCodec{}.Encode, codec.RoomState{}, "codec.RoomState"},
		{"room given user", codec.RoomCodec{}.Encode, &codec.UserState{}, "*codec.UserState"},
		{"user given string", codec.UserCodec{}.Encode, "x", "string"},
		{"presence value not pointer", codec.PresenceCodec{}.Encode, codec.Presence{}, "codec.Presence"},
		{"dead letter given nil", codec.DeadLetterCodec{}.Encode, nil, "<nil>"},
		{"event given int", codec.EventCodec{}.Encode, 5, "int"},
		{"raw given string", codec.Raw{}.Encode, "x", "string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.encode(c.v)
			if err == nil || b != nil {
				t.Fatalf("Encode(%T) = %q, %v; want an error", c.v, b, err)
			}
			if !strings.HasSuffix(err.Error(), "encode "+c.want) {
				t.Fatalf("Encode error %q does not end with the Go type %q", err, c.want)
			}
		})
	}
}

func TestStateDecodeStrict(t *testing.T) {
	cases := []struct {
		name    string
		decode  func([]byte) (interface{}, error)
		in      string
		wantErr error
	}{
		{"room unknown field", codec.RoomCodec{}.Decode, `{"v":1,"room":"r","x":1}`, codec.ErrDecode},
		{"room version 3", codec.RoomCodec{}.Decode, `{"v":3,"room":"r"}`, codec.ErrDecode},
		{"user missing version", codec.UserCodec{}.Decode, `{"user":"u"}`, codec.ErrDecode},
		{"dead letter trailing", codec.DeadLetterCodec{}.Decode, `{"v":1}{}`, codec.ErrDecode},
		{"presence wrong type", codec.PresenceCodec{}.Decode, `{"v":1,"source":"1"}`, codec.ErrDecode},
		{"presence bad op", codec.PresenceCodec{}.Decode, `{"v":1,"op":"x","user":"u","room":"r","source":1,"ts":"` + goodTS + `"}`, codec.ErrInvalid},
		{"presence add no session", codec.PresenceCodec{}.Decode, `{"v":1,"op":"add","user":"u","room":"r","source":1,"ts":"` + goodTS + `"}`, codec.ErrInvalid},
		{"presence negative source", codec.PresenceCodec{}.Decode, `{"v":1,"op":"seen","user":"u","room":"r","source":-1,"ts":"` + goodTS + `"}`, codec.ErrInvalid},
		{"presence bad user", codec.PresenceCodec{}.Decode, `{"v":1,"op":"seen","user":"_u","room":"r","source":1,"ts":"` + goodTS + `"}`, codec.ErrInvalid},
		{"presence bad ts", codec.PresenceCodec{}.Decode, `{"v":1,"op":"seen","user":"u","room":"r","source":1,"ts":"yesterday"}`, codec.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := c.decode([]byte(c.in))
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Decode = %#v, %v; want error %v", v, err, c.wantErr)
			}
			// PresenceCodec returns a typed nil (*Presence)(nil) with its error.
			if v != nil && !reflect.ValueOf(v).IsNil() {
				t.Fatalf("Decode = %#v with error %v, want no value", v, err)
			}
		})
	}
}

func TestStateDecodeFillsMaps(t *testing.T) {
	r, err1 := codec.RoomCodec{}.Decode([]byte(`{"v":1,"room":"r","cursor":-1}`))
	u, err2 := codec.UserCodec{}.Decode([]byte(`{"v":1,"user":"u","rooms":null}`))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if rs := codec.AsRoom(r); rs == nil || rs.Members == nil || len(rs.Members) != 0 {
		t.Fatalf("decoded room %#v, want empty non-nil Members", r)
	}
	if us := codec.AsUser(u); us == nil || us.Rooms == nil || len(us.Rooms) != 0 {
		t.Fatalf("decoded user %#v, want empty non-nil Rooms", u)
	}
	if codec.AsRoom("x") != nil || codec.AsUser(nil) != nil || codec.AsBytes(3) != nil {
		t.Fatal("As* of a foreign value is not nil")
	}
}

func TestMemberList(t *testing.T) {
	s := codec.NewRoomState("lobby")
	if got := s.MemberList(); got == nil || len(got) != 0 {
		t.Fatalf("MemberList of a new room = %#v, want empty non-nil", got)
	}
	s.Members = map[string]map[string]string{
		"carol": {"c1": ""}, "Bob": {"b1": "", "b2": "", "b3": ""}, "alice": {"a1": "x", "a2": "y"},
	}
	want := []codec.Member{{User: "Bob", Sessions: 3}, {User: "alice", Sessions: 2}, {User: "carol", Sessions: 1}}
	if got := s.MemberList(); !reflect.DeepEqual(got, want) {
		t.Fatalf("MemberList = %+v, want %+v", got, want)
	}
}

func TestUserStateOnlineRoomsAndSessionCount(t *testing.T) {
	s := codec.NewUserState("alice")
	if got := s.OnlineRooms(); got == nil || len(got) != 0 || s.SessionCount() != 0 {
		t.Fatalf("new user: OnlineRooms %#v, SessionCount %d", got, s.SessionCount())
	}
	s.Rooms = map[string]*codec.UserRoom{
		"zeta":  {Sessions: map[string]string{"s1": "a"}, Applied: 1},
		"alpha": {Sessions: map[string]string{"s1": "a", "s2": "b"}, Applied: 2},
		"gone":  {Applied: 3},
		"empty": {Sessions: map[string]string{}, Applied: 4},
	}
	if got, want := s.OnlineRooms(), []string{"alpha", "zeta"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("OnlineRooms = %v, want %v", got, want)
	}
	if got := s.SessionCount(); got != 2 {
		t.Fatalf("SessionCount = %d, want 2 (s1 in two rooms counts once)", got)
	}
}

func TestTimeIDAndEventHelpers(t *testing.T) {
	tm, err := codec.ParseTime(goodTS)
	if err != nil || codec.FormatTime(tm) != goodTS {
		t.Fatalf("ParseTime/FormatTime: %v %v", tm, err)
	}
	a, b := codec.NewID(), codec.NewID()
	if len(a) != 16 || strings.Trim(a, "0123456789abcdef") != "" || a == b {
		t.Fatalf("NewID = %q, %q", a, b)
	}
	e := codec.NewEvent(codec.Message, "lobby", "alice")
	e.Text = "hi"
	if err := e.Validate(); err != nil {
		t.Fatalf("NewEvent + text: %v", err)
	}
	e.Server, e.Session = "srv", "s"
	p := e.Public()
	want := codec.Public{ID: e.ID, Type: codec.Message, Room: "lobby", User: "alice", TS: e.TS, Text: "hi", Session: "s"}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("Public = %+v, want %+v", p, want)
	}
}
