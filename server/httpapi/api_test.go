package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// memTable is a table in memory: the handlers' side of a view, without
// Kafka. The HTTP API's behaviour against real views is tested in server/.
type memTable[T any] struct {
	rows map[string]*T
	err  error
	// version is what Version answers, with versionErr.
	version    atomic.Int64
	versionErr error
}

func (m *memTable[T]) Get(key string) (*T, error) { return m.rows[key], m.err }

func (m *memTable[T]) Version() (string, error) {
	return strconv.FormatInt(m.version.Load(), 10), m.versionErr
}

func (m *memTable[T]) List(prefix string, limit int, keep func(*T) bool) ([]*T, error) {
	if m.err != nil {
		return nil, m.err
	}
	keys := make([]string, 0, len(m.rows))
	for k := range m.rows {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []*T
	for _, k := range keys {
		if keep == nil || keep(m.rows[k]) {
			out = append(out, m.rows[k])
		}
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// fixture is the API on a real HTTP server, with the tables and writer it
// was given and what it wrote.
type fixture struct {
	url    string
	cfg    Config
	ready  atomic.Bool
	mu     sync.Mutex
	wrote  []codec.Event
	failAs error // Write's answer when not nil
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{}
	room := func(name string, members ...string) *codec.RoomState {
		r := codec.NewRoomState(name)
		r.Cursor, r.Messages, r.Created, r.Updated = 41, 7, "2026-12-01T10:00:00.000Z", "2026-12-01T11:00:00.000Z"
		for _, m := range members {
			r.Members[m] = map[string]string{"s-" + m: "srv"}
		}
		return r
	}
	user := func(name string, online bool) *codec.UserState {
		u := codec.NewUserState(name)
		u.LastSeen = "2026-12-01T11:00:00.000Z"
		u.Rooms["news"] = &codec.UserRoom{Applied: 3}
		if online {
			u.Rooms["news"].Sessions = map[string]string{"s-" + name: "srv"}
		}
		return u
	}
	rooms := &memTable[codec.RoomState]{rows: map[string]*codec.RoomState{
		"news": room("news", "ann"), "newt": room("newt"), "lobby": room("lobby", "ann", "bob")}}
	f.cfg = Config{
		ServerID: "srv", APIKey: "k3y", MaxFrameBytes: 256,
		ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, Epoch: "ep1",
		Rooms: rooms,
		Users: &memTable[codec.UserState]{rows: map[string]*codec.UserState{
			"ann": user("ann", true), "bob": user("bob", false)}},
		Ready:    f.ready.Load,
		NotReady: func() string { return "views recovering" },
		Room: func(ctx context.Context, name string) (*codec.RoomState, error) {
			if r := rooms.rows[name]; r != nil {
				return r, nil
			}
			return codec.NewRoomState(name), nil
		},
		Write: func(ctx context.Context, events ...codec.Event) ([]int64, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.failAs != nil {
				return nil, f.failAs
			}
			f.wrote = append(f.wrote, events...)
			return []int64{int64(100 + len(f.wrote))}, nil
		},
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "errors"}, []string{"code"}),
		Sends:  prometheus.NewCounter(prometheus.CounterOpts{Name: "sends"}),
		Acks:   prometheus.NewCounter(prometheus.CounterOpts{Name: "acks"}),
	}
	mux := http.NewServeMux()
	Register(mux, f.cfg)
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	f.url = s.URL
	f.ready.Store(true)
	return f
}

// do sends a request and returns the status, the Content-Type and the body.
func (f *fixture) do(t *testing.T, method, path, auth, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), strings.TrimSpace(string(b))
}

func TestReadsAnswerTheTablesRows(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ path, body string }{
		{"/healthz", `{"status":"ok"}`},
		{"/readyz", `{"epoch":"ep1","status":"ready"}`},
		{"/api/rooms?prefix=new", `{"rooms":[{"room":"news","members":1,"messages":7,"updated":"2026-12-01T11:00:00.000Z","cursor":41},{"room":"newt","members":0,"messages":7,"updated":"2026-12-01T11:00:00.000Z","cursor":41}]}`},
		{"/api/rooms?limit=1", `{"rooms":[{"room":"lobby","members":2,"messages":7,"updated":"2026-12-01T11:00:00.000Z","cursor":41}]}`},
		{"/api/rooms/news", `{"room":"news","cursor":41,"epoch":"ep1","members":[{"user":"ann","sessions":1}],"messages":7,"created":"2026-12-01T10:00:00.000Z","updated":"2026-12-01T11:00:00.000Z","owner":"","moderators":[],"private":false,"topic":""}`},
		{"/api/users?online=true", `{"users":[{"user":"ann","rooms":["news"],"sessions":1,"last_seen":"2026-12-01T11:00:00.000Z"}]}`},
		{"/api/users?online=0&prefix=b", `{"users":[{"user":"bob","rooms":[],"sessions":0,"last_seen":"2026-12-01T11:00:00.000Z"}]}`},
		{"/api/users/bob", `{"user":"bob","rooms":[],"sessions":0,"last_seen":"2026-12-01T11:00:00.000Z"}`},
	} {
		status, ctype, body := f.do(t, "GET", tc.path, "", "")
		if status != 200 || ctype != "application/json" {
			t.Errorf("GET %s: %d %s %s", tc.path, status, ctype, body)
			continue
		}
		if ok, err := jsonEqual(body, tc.body); err != nil || !ok {
			t.Errorf("GET %s:\n got %s\nwant %s (%v)", tc.path, body, tc.body, err)
		}
	}
}

func TestBadRequestsGetTheirCodes(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		method, path, auth, body string
		status                   int
		code                     string
	}{
		{"GET", "/api/rooms/never", "", "", 404, protocol.CodeNotFound},
		{"GET", "/api/users/nobody", "", "", 404, protocol.CodeNotFound},
		{"GET", "/api/rooms/bad%20name", "", "", 400, protocol.CodeBadRequest},
		{"GET", "/api/rooms?limit=0", "", "", 400, protocol.CodeBadRequest},
		{"GET", "/api/rooms?limit=10001", "", "", 400, protocol.CodeBadRequest},
		{"GET", "/api/rooms?limit=", "", "", 400, protocol.CodeBadRequest},
		{"GET", "/api/rooms?prefix=-x", "", "", 400, protocol.CodeBadRequest},
		{"GET", "/api/users?online=", "", "", 400, protocol.CodeBadRequest},
		{"GET", "/api/users?online=yes", "", "", 400, protocol.CodeBadRequest},
		{"GET", "/api/rooms/news/events?after=-2", "", "", 400, protocol.CodeBadRequest},
		{"DELETE", "/api/rooms", "", "", 405, protocol.CodeBadRequest},
		{"GET", "/api/nothing", "", "", 404, protocol.CodeNotFound},
		{"POST", "/api/rooms/news/messages", "", `{"user":"ann","text":"hi"}`, 401, protocol.CodeUnauthorized},
		{"POST", "/api/rooms/news/messages", "Bearer wrong", `{"user":"ann","text":"hi"}`, 401, protocol.CodeUnauthorized},
		{"POST", "/api/rooms/news/messages", "Bearer k3y", `{"user":"ann"}`, 400, protocol.CodeBadRequest},
		{"POST", "/api/rooms/news/messages", "Bearer k3y", `not json`, 400, protocol.CodeBadRequest},
		{"POST", "/api/rooms/news/messages", "Bearer k3y", `{"user":"a b","text":"hi"}`, 400, protocol.CodeBadRequest},
		{"POST", "/api/rooms/news/messages", "Bearer k3y", `{"user":"ann","text":"` + strings.Repeat("x", 300) + `"}`, 413, protocol.CodeTooLarge},
		{"POST", "/api/rooms/news/messages", "Bearer k3y", `{"user":"ann","text":"hi"} {"user":"bob","text":"hi"}`, 400, protocol.CodeBadRequest},
		{"POST", "/api/rooms/news/messages", "Bearer k3y", `{"user":"ann","user":"bob","text":"hi"}`, 400, protocol.CodeBadRequest},
		{"POST", "/api/rooms/news/messages", "Bearer k3y", "{\"user\":\"ann\",\"text\":\"h\xffi\"}", 400, protocol.CodeBadRequest},
		{"POST", "/api/rooms/news/messages", "Bearer k3y", `{"User":"ann","Text":"hi"}`, 400, protocol.CodeBadRequest},
		{"POST", "/api/rooms/news/messages", "Bearer k3y", `["ann","hi"]`, 400, protocol.CodeBadRequest},
	} {
		status, _, body := f.do(t, tc.method, tc.path, tc.auth, tc.body)
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil || status != tc.status || e.Error.Code != tc.code || e.Error.Message == "" {
			t.Errorf("%s %s: got %d %s, want %d %s", tc.method, tc.path, status, body, tc.status, tc.code)
		}
	}
	if got := len(f.wrote); got != 0 {
		t.Errorf("refused posts wrote %d events", got)
	}
	// The handlers count their errors by code (DELETE and the unknown path
	// are the mux's fallback, not a handler's).
	if got := testutil.ToFloat64(f.cfg.Errors.WithLabelValues(protocol.CodeBadRequest)); got != 16 {
		t.Errorf("bad_request counted %v times, want 16", got)
	}
}

func TestPostWritesOneMessageAndAnswersItsCursor(t *testing.T) {
	f := newFixture(t)
	// A member the body does not know is ignored, as a field the contract
	// may add later would be.
	status, ctype, body := f.do(t, "POST", "/api/rooms/news/messages", "Bearer k3y", `{"user":"ann","text":"  hello  ","client":"x"}`)
	if status != 200 || body != `{"cursor":101}` || ctype != "application/json" {
		t.Fatalf("post: %d %s", status, body)
	}
	if len(f.wrote) != 1 {
		t.Fatalf("wrote %d events", len(f.wrote))
	}
	e := f.wrote[0]
	if e.Type != codec.Message || e.Room != "news" || e.User != "ann" || e.Server != "srv" || e.V != codec.Version || e.ID == "" || e.Validate() != nil {
		t.Fatalf("wrote %+v", e)
	}
	if got := testutil.ToFloat64(f.cfg.Sends) + testutil.ToFloat64(f.cfg.Acks); got != 2 {
		t.Fatalf("sends+acks %v, want 2", got)
	}

	// Kafka refusing the write is the writer's error, and no ack is counted.
	f.failAs = protocol.Errorf(protocol.CodeUnavailable, "kafka is away")
	status, _, body = f.do(t, "POST", "/api/rooms/news/messages", "Bearer k3y", `{"user":"ann","text":"again"}`)
	if status != 503 || body != `{"error":{"code":"unavailable","message":"kafka is away"}}` {
		t.Fatalf("post while Kafka is away: %d %s", status, body)
	}
	if got := testutil.ToFloat64(f.cfg.Acks); got != 1 {
		t.Fatalf("acks %v after a refused write, want 1", got)
	}
}

func TestNothingIsServedUntilReady(t *testing.T) {
	f := newFixture(t)
	f.ready.Store(false)
	for _, path := range []string{"/readyz", "/api/rooms", "/api/rooms/news", "/api/users", "/api/users/ann"} {
		status, _, body := f.do(t, "GET", path, "", "")
		if status != 503 || body != `{"error":{"code":"unavailable","message":"not ready: views recovering"}}` {
			t.Errorf("GET %s before ready: %d %s", path, status, body)
		}
	}
	status, _, _ := f.do(t, "POST", "/api/rooms/news/messages", "Bearer k3y", `{"user":"ann","text":"hi"}`)
	if status != 503 || len(f.wrote) != 0 {
		t.Errorf("post before ready: %d, wrote %d", status, len(f.wrote))
	}
	if status, _, _ := f.do(t, "GET", "/healthz", "", ""); status != 200 {
		t.Errorf("healthz before ready: %d", status)
	}
}

func TestATableThatCannotAnswerIsUnavailable(t *testing.T) {
	f := newFixture(t)
	f.cfg.Rooms.(*memTable[codec.RoomState]).err = errors.New("view lost its partition")
	status, _, body := f.do(t, "GET", "/api/rooms", "", "")
	if status != 503 || body != `{"error":{"code":"unavailable","message":"view lost its partition"}}` {
		t.Fatalf("list with a broken table: %d %s", status, body)
	}
}

func TestTheOpenAPIDocumentIsServed(t *testing.T) {
	f := newFixture(t)
	status, ctype, body := f.do(t, "GET", "/api/openapi.json", "", "")
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if status != 200 || ctype != "application/json" || json.Unmarshal([]byte(body), &doc) != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi: %d %s %.80s", status, ctype, body)
	}
	for _, p := range []string{"/api/rooms", "/api/rooms/{room}", "/api/rooms/{room}/events", "/api/rooms/{room}/messages", "/api/users", "/api/users/{user}"} {
		if doc.Paths[p] == nil {
			t.Errorf("openapi lacks %s", p)
		}
	}
}

func jsonEqual(a, b string) (bool, error) {
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		return false, err
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		return false, err
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb), nil
}
