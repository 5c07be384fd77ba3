package codec

import "fmt"

// Typing is a record of the typing topic: User is typing in Room. The
// servers relay it to the room's other members and keep nothing of it.
type Typing struct {
	V    int    `json:"v"`
	Room string `json:"room"`
	User string `json:"user"`
	TS   string `json:"ts"`
}

func (t *Typing) version() int { return t.V }

// EncodeTyping renders a typing record.
func EncodeTyping(t *Typing) ([]byte, error) { return encode(t) }

// DecodeTyping decodes and checks a typing record; the error wraps
// ErrDecode or ErrInvalid.
func DecodeTyping(data []byte) (*Typing, error) {
	t := new(Typing)
	if err := decodeStrict(data, t); err != nil {
		return nil, err
	}
	if err := CheckName("room", t.Room); err != nil {
		return nil, err
	}
	if err := CheckName("user", t.User); err != nil {
		return nil, err
	}
	if _, err := ParseTime(t.TS); err != nil {
		return nil, fmt.Errorf("%w: ts %q is not RFC 3339 UTC with milliseconds", ErrInvalid, t.TS)
	}
	return t, nil
}
