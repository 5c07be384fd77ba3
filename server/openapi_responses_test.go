package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gorilla/websocket"

	"github.com/chatstate/chatstate/auth"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// apiChecker drives requests at one server and validates each exchange
// against the document.
type apiChecker struct {
	base   string
	doc    *openapi3.T
	router routers.Router
	seen   map[string]bool // operations exercised, as "METHOD /path"
	// statuses are the statuses answered, by operation.
	statuses map[string]map[int]bool
}

// apiCall is one request and the status it must get.
type apiCall struct {
	method, target string // target: path and query
	header         map[string]string
	body           string
	status         int
	// docRejects: the document's request rules must refuse the request too,
	// because the server refuses it for a reason the document states.
	docRejects bool
}

func (k apiCall) String() string { return k.method + " " + k.target }

func (k apiCall) request(base string) *http.Request {
	req, err := http.NewRequest(k.method, base+k.target, strings.NewReader(k.body))
	if err != nil {
		panic(err)
	}
	for h, v := range k.header {
		req.Header.Set(h, v)
	}
	return req
}

var jsonBody = map[string]string{"Content-Type": "application/json"}

func ifNoneMatch(tags string) map[string]string {
	return map[string]string{"If-None-Match": tags}
}

func bearer(key string) map[string]string {
	return map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + key}
}

// bearerPresent checks the form of the security scheme; whether the key is
// right is the server's business.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	v, ok := strings.CutPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ")
	if !ok || v == "" {
		return in.NewError(fmt.Errorf("no bearer token"))
	}
	return nil
}

// do sends k, checks the status and validates the exchange; it returns the
// response body.
func (c *apiChecker) do(t *testing.T, k apiCall) []byte {
	t.Helper()
	resp, err := http.DefaultClient.Do(k.request(c.base))
	if err != nil {
		t.Fatalf("%v: %v", k, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%v: %v", k, err)
	}
	if resp.StatusCode != k.status {
		t.Errorf("%v: status %d, want %d: %s", k, resp.StatusCode, k.status, body)
	}
	c.check(t, k, resp.StatusCode, resp.Header, body)
	return body
}

// check validates a request and its answer against the document: the
// request must be valid when the server accepted it and invalid when
// k.docRejects, and the answer must have a documented status, content type
// and body.
func (c *apiChecker) check(t *testing.T, k apiCall, status int, header http.Header, body []byte) {
	t.Helper()
	in, reqErr, err := c.validateRequest(k)
	if err != nil {
		t.Errorf("%v: %v", k, err)
		return
	}
	c.answered(in, status)
	if status < 300 && reqErr != nil {
		t.Errorf("%v: the server answered %d, but the document refuses the request: %v", k, status, reqErr)
	}
	if k.docRejects && reqErr == nil {
		t.Errorf("%v: the server answered %d, but the document accepts the request", k, status)
	}
	if err := validateResponse(in, status, header, body); err != nil {
		t.Errorf("%v: answer %d %s does not match the document: %v", k, status, body, err)
	}
}

func (c *apiChecker) validateRequest(k apiCall) (in *openapi3filter.RequestValidationInput, reqErr, err error) {
	req := k.request(c.base)
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return nil, nil, fmt.Errorf("not an operation of the document: %w", err)
	}
	c.seen[strings.ToUpper(route.Method)+" "+route.Path] = true
	in = &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: bearerPresent, SkipSettingDefaults: true, MultiError: true},
	}
	return in, openapi3filter.ValidateRequest(context.Background(), in), nil
}

func validateResponse(in *openapi3filter.RequestValidationInput, status int, header http.Header, body []byte) error {
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	out.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), out)
}

// dialWS opens /ws with the query and headers and validates the handshake's
// answer; it returns the connection when the upgrade succeeded.
func (c *apiChecker) dialWS(t *testing.T, query string, header http.Header, status int) *websocket.Conn {
	t.Helper()
	k := apiCall{method: "GET", target: "/ws?" + query, status: status}
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(c.base, "http")+k.target, header)
	if resp == nil {
		t.Fatalf("dial %v: %v", k, err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Errorf("dial %v: status %d, want %d: %v %s", k, resp.StatusCode, status, err, body)
	}
	c.check(t, k, resp.StatusCode, resp.Header, body)
	return ws
}

func init() {
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
}

// TestOpenAPIResponses drives real requests at a running stack, every
// documented operation at least once, and validates each request and answer
// against the document served at /api/openapi.json: every status answered
// is documented for its operation, including the 405 of every method a path
// does not take, and every status documented is answered by some request
// (but those of unanswerable), a server never ready giving the 503s.
func TestOpenAPIResponses(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{APIKey: "k3y"})
	base := s.http.URL

	resp, err := http.Get(base + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	served, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/openapi.json: %d %q %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	var head struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(served, &head); err != nil || !strings.HasPrefix(head.OpenAPI, "3.") {
		t.Fatalf("the served document is not OpenAPI 3 JSON: openapi %q, %v", head.OpenAPI, err)
	}
	if file, err := os.ReadFile(openAPIFile); err != nil || !bytes.Equal(file, served) {
		t.Errorf("the served document differs from %s (%v)", openAPIFile, err)
	}
	doc, router := loadOpenAPI(t, served)
	c := &apiChecker{base: base, doc: doc, router: router, seen: map[string]bool{}, statuses: map[string]map[int]bool{}}

	// State to read back: alice present in news, bot's messages in it.
	c.dialWS(t, "user=carol", nil, 101).Close()
	alice := testenv.Dial(t, base, "alice")
	alice.Send(map[string]any{"op": "join", "room": "news"})
	alice.Expect("snapshot", testenv.Frame{"room": "news"})
	alice.ExpectEvent("news", "join", "alice")
	// A private room with a muted user: hidden without the key.
	alice.Send(map[string]any{"op": "join", "room": "secret"})
	alice.Expect("snapshot", testenv.Frame{"room": "secret"})
	alice.ExpectEvent("secret", "join", "alice")
	alice.Send(map[string]any{"op": "settings", "room": "secret", "private": true, "ref": 1})
	alice.AckAndEvent(1, "settings")
	alice.Send(map[string]any{"op": "mute", "room": "secret", "user": "bot", "on": true, "ref": 2})
	alice.AckAndEvent(2, "mute")
	for i := range 3 {
		c.do(t, apiCall{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"),
			body: fmt.Sprintf(`{"user":"bot","text":"  news %d "}`, i), status: 200})
	}
	testenv.WaitFor(t, 20*time.Second, func() error {
		var room struct {
			Messages int
			Members  []struct{ User string }
		}
		var user struct{ Sessions int }
		if getJSON(t, base+"/api/rooms/news", &room); room.Messages != 3 || len(room.Members) != 1 {
			return fmt.Errorf("room news: %+v", room)
		}
		if getJSON(t, base+"/api/users/alice", &user); user.Sessions != 1 {
			return fmt.Errorf("user alice: %+v", user)
		}
		if getJSON(t, base+"/api/users/bot", &user); user.Sessions != 0 {
			return fmt.Errorf("user bot: %+v", user)
		}
		return nil
	})

	long := strings.Repeat("y", 4097)
	for _, k := range []apiCall{
		{method: "GET", target: "/api/rooms", status: 200},
		{method: "GET", target: "/api/rooms?prefix=ne&limit=1", status: 200},
		{method: "GET", target: "/api/rooms?prefix=zz", status: 200},
		{method: "GET", target: "/api/rooms?prefix=", status: 200},
		{method: "GET", target: "/api/rooms?prefix=bad%20x", status: 400, docRejects: true},
		{method: "GET", target: "/api/users?prefix=-x", status: 400, docRejects: true},
		{method: "GET", target: "/api/rooms/news/events?after=99999999999999999999", status: 400, docRejects: true},
		{method: "GET", target: "/api/rooms?limit=abc", status: 400, docRejects: true},
		{method: "GET", target: "/api/rooms", header: ifNoneMatch("*"), status: 304},
		{method: "GET", target: "/api/rooms?prefix=ne", header: ifNoneMatch(`"0123456789abcdef0123456789abcdef"`), status: 200},
		{method: "GET", target: "/api/rooms?limit=abc", header: ifNoneMatch("*"), status: 400, docRejects: true},
		{method: "GET", target: "/api/users?online=true", header: ifNoneMatch("*"), status: 304},
		{method: "GET", target: "/api/users?online=yes", header: ifNoneMatch("*"), status: 400, docRejects: true},
		{method: "GET", target: "/api/rooms/news", status: 200},
		{method: "GET", target: "/api/rooms/never", status: 404},
		{method: "GET", target: "/api/rooms/secret", status: 404},
		{method: "GET", target: "/api/rooms/secret", header: bearer("k3y"), status: 200},
		{method: "GET", target: "/api/rooms/secret/events", status: 404},
		{method: "GET", target: "/api/rooms/secret/events", header: bearer("k3y"), status: 200},
		{method: "GET", target: "/api/rooms/secret?at=0", status: 404},
		{method: "POST", target: "/api/rooms/secret/messages", header: bearer("k3y"), body: `{"user":"bot","text":"muted"}`, status: 403},
		{method: "GET", target: "/api/rooms/bad%20name", status: 400, docRejects: true},
		{method: "GET", target: "/api/rooms/-x", status: 400, docRejects: true},
		{method: "GET", target: "/api/rooms/news/events", status: 200},
		{method: "GET", target: "/api/rooms/news/events?after=-1&limit=2", status: 200},
		{method: "GET", target: "/api/rooms/never/events", status: 404},
		{method: "GET", target: "/api/rooms/news/events?after=x", status: 400, docRejects: true},
		{method: "GET", target: "/api/rooms/_x/events", status: 400, docRejects: true},
		{method: "GET", target: "/api/users", status: 200},
		{method: "GET", target: "/api/users?prefix=al&limit=5&online=true", status: 200},
		{method: "GET", target: "/api/users?limit=x", status: 400, docRejects: true},
		{method: "GET", target: "/api/users/alice", status: 200},
		{method: "GET", target: "/api/users/bot", status: 200},
		{method: "GET", target: "/api/users/nobody", status: 404},
		{method: "GET", target: "/api/users/a%2Fb", status: 400, docRejects: true},
		{method: "GET", target: "/api/users/alice/unread", status: 200},
		{method: "GET", target: "/api/users/nobody/unread", status: 404},
		{method: "GET", target: "/api/users/a%2Fb/unread", status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":"hello"}`, status: 200},
		{method: "POST", target: "/api/rooms/fresh/messages", header: bearer("k3y"), body: `{"user":"bot","text":"first","extra":1}`, status: 200},
		// As of a cursor: fresh's message is the first record of its
		// partition, which never shares.
		{method: "GET", target: "/api/rooms/news?at=1", status: 200},
		{method: "GET", target: "/api/rooms/never?at=0", status: 404},
		{method: "GET", target: "/api/rooms/news?at=1000000", status: 404},
		{method: "GET", target: "/api/rooms/news?at=x", status: 400, docRejects: true},
		{method: "GET", target: "/api/rooms/-x?at=0", status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: jsonBody, body: `{"user":"bot","text":"hi"}`, status: 401, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("nope"), body: `{"user":"bot","text":"hi"}`, status: 401},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `hi`, status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot"}`, status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"-x","text":"hi"}`, status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":""}`, status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":"   "}`, status: 400},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":5}`, status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/-x/messages", header: bearer("k3y"), body: `{"user":"bot","text":"hi"}`, status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":"` + long + `"}`, status: 413},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":"` + strings.Repeat(long, 17) + `"}`, status: 413},
		{method: "GET", target: "/healthz", status: 200},
		{method: "GET", target: "/readyz", status: 200},
		{method: "GET", target: "/metrics", status: 200},
		{method: "GET", target: "/", status: 200},
		{method: "GET", target: "/api/openapi.json", status: 200},
		{method: "GET", target: "/ws?user=alice", status: 400}, // no upgrade headers
		{method: "GET", target: "/ws", status: 400},
		{method: "GET", target: "/ws?user=-x", status: 400, docRejects: true},
	} {
		c.do(t, k)
	}
	c.dialWS(t, "user=carol", http.Header{"Origin": {"http://elsewhere.example"}}, 403)

	// The events answer carries the join (with a session) and the messages
	// (with their trimmed text).
	var page struct {
		Events []struct {
			Event map[string]any `json:"event"`
		} `json:"events"`
	}
	if err := json.Unmarshal(c.do(t, apiCall{method: "GET", target: "/api/rooms/news/events", status: 200}), &page); err != nil {
		t.Fatal(err)
	}
	types := map[any]int{}
	for _, e := range page.Events {
		types[e.Event["type"]]++
		if e.Event["type"] == "message" && e.Event["text"] == "" {
			t.Errorf("message without text: %v", e.Event)
		}
	}
	if types["join"] < 1 || types["message"] < 3 {
		t.Errorf("events of news: %v", page)
	}

	// The document's bounds and enums are the server's: each bound is
	// accepted and one past it refused, by both.
	for path, item := range doc.Paths.Map() {
		op := item.Get
		if op == nil || path == "/ws" {
			continue
		}
		target := strings.NewReplacer("{room}", "news", "{user}", "alice").Replace(path)
		for _, p := range op.Parameters {
			p := p.Value
			if p.In != openapi3.ParameterInQuery {
				continue
			}
			sch := p.Schema.Value
			probe := func(v string, status int) {
				c.do(t, apiCall{method: "GET", target: target + "?" + p.Name + "=" + v, status: status, docRejects: status == 400})
			}
			if sch.Min != nil {
				probe(strconv.FormatInt(int64(*sch.Min), 10), 200)
				probe(strconv.FormatInt(int64(*sch.Min)-1, 10), 400)
			}
			if sch.Max != nil {
				probe(strconv.FormatInt(int64(*sch.Max), 10), 200)
				probe(strconv.FormatInt(int64(*sch.Max)+1, 10), 400)
			}
			for _, v := range sch.Enum {
				probe(fmt.Sprint(v), 200)
			}
			if len(sch.Enum) > 0 {
				probe("maybe", 400)
			}
		}
	}

	// A second server on the same log, with an auth secret, no API key and
	// one connection per user.
	_, hs2, _ := startServer(t, s.kcfg, t.TempDir(), server.Config{ServerID: "s2", AuthSecret: "s3cret", MaxConnsPerUser: 1})
	c2 := &apiChecker{base: hs2.URL, doc: doc, router: router, seen: c.seen, statuses: c.statuses}
	c2.do(t, apiCall{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":"hi"}`, status: 403})
	c2.do(t, apiCall{method: "GET", target: "/ws?user=alice", status: 401})
	c2.do(t, apiCall{method: "GET", target: "/ws?token=not.a.jwt", status: 401})
	tok, err := auth.Mint("s3cret", "dave", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	first := c2.dialWS(t, "token="+tok, nil, 101)
	c2.dialWS(t, "token="+tok, nil, 429)
	first.Close()

	c.wrongMethods(t)
	c.ranges(t)
	c.notReady(t, s.kcfg)

	for op := range docOps(doc) {
		if !c.seen[op] {
			t.Errorf("no request exercised %s", op)
		}
	}
	c.everyStatusAnswered(t)

	// The validation can fail: answers that break the document are refused.
	t.Run("negative", func(t *testing.T) {
		room := c.do(t, apiCall{method: "GET", target: "/api/rooms/news", status: 200})
		var m map[string]any
		if err := json.Unmarshal(room, &m); err != nil {
			t.Fatal(err)
		}
		mutate := func(f func(map[string]any)) []byte {
			cp := map[string]any{}
			for k, v := range m {
				cp[k] = v
			}
			f(cp)
			b, _ := json.Marshal(cp)
			return b
		}
		hdr := http.Header{"Content-Type": {"application/json"}}
		for _, tc := range []struct {
			name, target string
			status       int
			header       http.Header
			body         []byte
		}{
			{"wrong type", "/api/rooms/news", 200, hdr, mutate(func(r map[string]any) { r["messages"] = "3" })},
			{"missing field", "/api/rooms/news", 200, hdr, mutate(func(r map[string]any) { delete(r, "cursor") })},
			{"bad member", "/api/rooms/news", 200, hdr, mutate(func(r map[string]any) { r["members"] = []any{map[string]any{"user": "x"}} })},
			{"bad timestamp", "/api/rooms/news", 200, hdr, mutate(func(r map[string]any) { r["updated"] = "yesterday" })},
			{"undocumented status", "/api/rooms/news", 418, hdr, room},
			{"wrong content type", "/api/rooms/news", 200, http.Header{"Content-Type": {"text/plain"}}, room},
			{"code of another status", "/api/rooms/never", 404, hdr, []byte(`{"error":{"code":"bad_request","message":"x"}}`)},
			{"unknown code", "/api/rooms/-x", 400, hdr, []byte(`{"error":{"code":"oops","message":"x"}}`)},
			{"bad event", "/api/rooms/news/events", 200, hdr, []byte(`{"events":[{"cursor":1,"event":{"id":"a","type":"shout","room":"news","user":"bot","ts":"2024-05-01T12:00:00.000Z"}}],"next":1,"truncated":false}`)},
			{"ready without epoch", "/readyz", 200, hdr, []byte(`{"status":"ready"}`)},
		} {
			in, _, err := c.validateRequest(apiCall{method: "GET", target: tc.target})
			if err != nil {
				t.Fatal(err)
			}
			if err := validateResponse(in, tc.status, tc.header, tc.body); err == nil {
				t.Errorf("%s: %d %s passed validation", tc.name, tc.status, tc.body)
			}
		}
	})
}
