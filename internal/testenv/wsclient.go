package testenv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Client is a WebSocket client of the chat protocol for tests; it reads
// frames as generic maps and fails the test on anything unexpected.
//
// Unread frames (op "unread") come between the others whenever a count
// changes; Next sets them aside, in Unread, unless KeepUnread is set, so
// that a test of something else reads the frames it is about.
type Client struct {
	T    *testing.T
	WS   *websocket.Conn
	User string
	// KeepUnread makes Next return unread frames like any other.
	KeepUnread bool
	// Unread holds the unread frames Next set aside, oldest first.
	Unread []Frame
}

// Frame is one protocol frame as a generic map.
type Frame map[string]any

// Dial connects user to the server at base (http://host:port) and reads
// the hello frame.
func Dial(t *testing.T, base, user string) *Client {
	t.Helper()
	return DialQuery(t, base, "user="+user, user)
}

// DialQuery connects with the given query string (such as token=...) and
// expects a hello for user.
func DialQuery(t *testing.T, base, query, user string) *Client {
	t.Helper()
	url := "ws" + strings.TrimPrefix(base, "http") + "/ws?" + query
	ws, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		body := ""
		if resp != nil {
			b, _ := io.ReadAll(resp.Body)
			body = string(b)
		}
		t.Fatalf("dial %s: %v %s", url, err, body)
	}
	c := &Client{T: t, WS: ws, User: user}
	t.Cleanup(func() { _ = ws.Close() })
	if f := c.Next(); f["op"] != "hello" || f["user"] != user {
		t.Fatalf("first frame %v, want hello for %s", f, user)
	}
	return c
}

// Send writes v as a JSON frame.
func (c *Client) Send(v any) {
	c.T.Helper()
	if err := c.WS.WriteJSON(v); err != nil {
		c.T.Fatalf("%s: write: %v", c.User, err)
	}
}

// Next reads one frame, waiting at most 20 seconds; unread frames are set
// aside unless KeepUnread is set.
func (c *Client) Next() Frame {
	c.T.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_ = c.WS.SetReadDeadline(deadline)
		_, data, err := c.WS.ReadMessage()
		if err != nil {
			c.T.Fatalf("%s: read: %v", c.User, err)
		}
		var f Frame
		if err := json.Unmarshal(data, &f); err != nil {
			c.T.Fatalf("%s: frame %q: %v", c.User, data, err)
		}
		if f["op"] == "unread" && !c.KeepUnread {
			c.Unread = append(c.Unread, f)
			continue
		}
		return f
	}
}

// Expect reads the next frame and checks its op and the given fields. A
// field matches when its JSON value equals the JSON encoding of the wanted
// value exactly (see JSONEqual): 3 matches the number 3 but not the string
// "3", and a missing field matches only nil.
func (c *Client) Expect(op string, fields Frame) Frame {
	c.T.Helper()
	f := c.Next()
	if f["op"] != op {
		c.T.Fatalf("%s: got %v, want op %s", c.User, f, op)
	}
	for k, v := range fields {
		ok, err := JSONEqual(f[k], v)
		if err != nil {
			c.T.Fatalf("%s: want %s=%v: %v", c.User, k, v, err)
		}
		if !ok {
			c.T.Fatalf("%s: got %v, want %s=%#v", c.User, f, k, v)
		}
	}
	return f
}

// JSONEqual reports whether got, a value decoded from JSON into an any
// (float64, string, bool, nil, []any, map[string]any), equals want once
// want is encoded to JSON and decoded the same way. Numbers compare as
// numbers and strings as strings, so that an int 3 equals the JSON number 3
// and the string "3" does not. It fails only if want does not encode.
func JSONEqual(got, want any) (bool, error) {
	b, err := json.Marshal(want)
	if err != nil {
		return false, fmt.Errorf("encode %#v: %w", want, err)
	}
	var norm any
	if err := json.Unmarshal(b, &norm); err != nil {
		return false, fmt.Errorf("decode %s: %w", b, err)
	}
	return reflect.DeepEqual(got, norm), nil
}

// ExpectEvent reads an event frame and checks the event's type and user.
func (c *Client) ExpectEvent(room, typ, user string) (cursor int64, ev Frame) {
	c.T.Helper()
	f := c.Expect("event", Frame{"room": room})
	ev = Frame(f["event"].(map[string]any))
	if ev["type"] != typ || ev["user"] != user {
		c.T.Fatalf("%s: got event %v, want %s by %s", c.User, f, typ, user)
	}
	return int64(f["cursor"].(float64)), ev
}

// AckAndEcho reads the ack of the request with ref (a send, or a leave)
// and the event frame it wrote, of any type, in either order, and returns
// the acked cursor.
func (c *Client) AckAndEcho(ref any) int64 {
	c.T.Helper()
	return c.AckAndEvent(ref, "")
}

// AckAndEvent reads the ack of the request with ref and the event of type
// typ by c's user that the request wrote, in either order: the ack is sent
// when Kafka took the write, the event when the tail read it, and either
// may come first. An empty typ takes an event of any type by anyone. It
// returns the acked cursor.
func (c *Client) AckAndEvent(ref any, typ string) int64 {
	c.T.Helper()
	var ack, echo int64 = -2, -3
	for range 2 {
		f := c.Next()
		switch f["op"] {
		case "ack":
			if ok, err := JSONEqual(f["ref"], ref); !ok || err != nil {
				c.T.Fatalf("%s: ack %v, want ref %#v (%v)", c.User, f, ref, err)
			}
			ack = int64(f["cursor"].(float64))
		case "event":
			ev, _ := f["event"].(map[string]any)
			if typ != "" && (ev["type"] != typ || ev["user"] != c.User) {
				c.T.Fatalf("%s: got event %v, want %s by %s", c.User, f, typ, c.User)
			}
			echo = int64(f["cursor"].(float64))
		default:
			c.T.Fatalf("%s: got %v, want ack and event", c.User, f)
		}
	}
	if ack != echo {
		c.T.Fatalf("%s: ack at %d, event at %d", c.User, ack, echo)
	}
	return ack
}

// AckAndEvents is AckAndEvent for an op whose event others answer at once
// with events of their own (a ban or kick, answered by the leaves of the
// user's sessions): the ack of ref may come after any of them, as the
// protocol orders an ack only after the write it answers. The events must
// come in the order of want, each "type user", the first being c's own;
// the ack's cursor must be the first event's, which is returned.
func (c *Client) AckAndEvents(ref any, want ...string) int64 {
	c.T.Helper()
	var ack int64 = -2
	var got []string
	var first int64 = -3
	for len(got) < len(want) || ack == -2 {
		f := c.Next()
		switch f["op"] {
		case "ack":
			if ok, err := JSONEqual(f["ref"], ref); !ok || err != nil || ack != -2 {
				c.T.Fatalf("%s: ack %v, want one ack of ref %#v (%v)", c.User, f, ref, err)
			}
			ack = int64(f["cursor"].(float64))
		case "event":
			ev, _ := f["event"].(map[string]any)
			if len(got) == 0 {
				first = int64(f["cursor"].(float64))
			}
			got = append(got, fmt.Sprint(ev["type"], " ", ev["user"]))
			if len(got) > len(want) || got[len(got)-1] != want[len(got)-1] {
				c.T.Fatalf("%s: events %q, want %q", c.User, got, want)
			}
		default:
			c.T.Fatalf("%s: got %v, want the ack and events %q", c.User, f, want)
		}
	}
	if ack != first {
		c.T.Fatalf("%s: ack at %d, own event at %d", c.User, ack, first)
	}
	return ack
}

// Quiet reads for d and fails if any frame arrives meanwhile: the client
// must be told nothing. Pings are answered as they come. The read ends
// with a timeout, after which gorilla reads no more: Quiet is the last read
// of c (its session stays open, and writes still work).
func (c *Client) Quiet(d time.Duration) {
	c.T.Helper()
	if err := c.QuietErr(d); err != nil {
		c.T.Fatal(err)
	}
}

// QuietErr is Quiet for a goroutine other than the test's: it returns what
// Quiet would fail with.
func (c *Client) QuietErr(d time.Duration) error {
	deadline := time.Now().Add(d)
	var data []byte
	var err error
	for {
		_ = c.WS.SetReadDeadline(deadline)
		if _, data, err = c.WS.ReadMessage(); err != nil || c.KeepUnread || !strings.HasPrefix(string(data), `{"op":"unread"`) {
			break
		}
		var f Frame
		_ = json.Unmarshal(data, &f)
		c.Unread = append(c.Unread, f)
	}
	if err == nil {
		return fmt.Errorf("%s: got %s, want nothing for %v", c.User, data, d)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		return fmt.Errorf("%s: read: %w", c.User, err)
	}
	return nil
}

// ReadRaw reads the next frame as ReadMessage does, setting unread frames
// aside as Next does: for a test that wants the read's error (a close) or
// the bytes.
func (c *Client) ReadRaw() (int, []byte, error) {
	for {
		mt, data, err := c.WS.ReadMessage()
		if err != nil || c.KeepUnread || !strings.HasPrefix(string(data), `{"op":"unread"`) {
			return mt, data, err
		}
		var f Frame
		_ = json.Unmarshal(data, &f)
		c.Unread = append(c.Unread, f)
	}
}
