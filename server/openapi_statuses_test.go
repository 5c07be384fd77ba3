package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server"
)

// unanswerable are the documented statuses that no test request can bring
// about, by operation, with the reason.
var unanswerable = map[string]map[int]string{
	"POST /api/rooms/{room}/messages": {500: "a failure of the write that is not Kafka being unreachable"},
	"GET /metrics":                    {500: "a collector that fails to gather"},
}

// answered records that the operation of in answered status.
func (c *apiChecker) answered(in *openapi3filter.RequestValidationInput, status int) {
	op := strings.ToUpper(in.Route.Method) + " " + in.Route.Path
	if c.statuses[op] == nil {
		c.statuses[op] = map[int]bool{}
	}
	c.statuses[op][status] = true
}

// everyStatusAnswered fails for each status the document gives an
// operation that no request of the test was answered with (unless listed in
// unanswerable): a documented status the server never answers is as wrong
// as an answered one the document lacks, which check refuses.
func (c *apiChecker) everyStatusAnswered(t *testing.T) {
	t.Helper()
	for op, o := range docOps(c.doc) {
		for code := range o.Responses.Map() {
			n, err := strconv.Atoi(code)
			if err != nil {
				t.Errorf("%s: response %q is not a status", op, code)
				continue
			}
			if !c.statuses[op][n] && unanswerable[op][n] == "" {
				t.Errorf("%s documents %d, which no request was answered with", op, n)
			}
		}
	}
}

// concrete is a path of the document with its parameters filled in.
func concrete(path string) string {
	return strings.NewReplacer("{room}", "news", "{user}", "alice").Replace(path)
}

// wrongMethods sends every path of the document the methods it does not
// take: each answers 405 with Allow naming the methods it does take (HEAD
// wherever GET), and the answer is the 405 the document gives each of the
// path's operations.
func (c *apiChecker) wrongMethods(t *testing.T) {
	t.Helper()
	for path, item := range c.doc.Paths.Map() {
		var allow []string
		for m := range item.Operations() {
			allow = append(allow, strings.ToUpper(m))
		}
		if slices.Contains(allow, http.MethodGet) {
			allow = append(allow, http.MethodHead)
		}
		slices.Sort(allow)
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			if slices.Contains(allow, m) {
				continue
			}
			k := apiCall{method: m, target: concrete(path), header: jsonBody, body: `{}`, status: http.StatusMethodNotAllowed}
			resp, err := http.DefaultClient.Do(k.request(c.base))
			if err != nil {
				t.Fatalf("%v: %v", k, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := strings.Split(resp.Header.Get("Allow"), ", ")
			slices.Sort(got)
			if resp.StatusCode != k.status || !slices.Equal(got, allow) {
				t.Errorf("%v: %d with Allow %q, want %d with Allow %q: %s", k, resp.StatusCode, resp.Header.Get("Allow"), k.status, strings.Join(allow, ", "), body)
			}
			for dm := range item.Operations() {
				in, _, err := c.validateRequest(apiCall{method: dm, target: k.target})
				if err != nil {
					t.Errorf("%v: %v", k, err)
					continue
				}
				c.answered(in, resp.StatusCode)
				if err := validateResponse(in, resp.StatusCode, resp.Header, body); err != nil {
					t.Errorf("%v: answer %d %s is not the 405 that %s %s documents: %v", k, resp.StatusCode, body, dm, path, err)
				}
			}
		}
	}
}

// ranges asks the files served (the page, the document) for a byte range,
// and for one past their end.
func (c *apiChecker) ranges(t *testing.T) {
	t.Helper()
	for _, path := range []string{"/", "/api/openapi.json"} {
		c.do(t, apiCall{method: "GET", target: path, header: map[string]string{"Range": "bytes=0-9"}, status: http.StatusPartialContent})
		c.do(t, apiCall{method: "GET", target: path, header: map[string]string{"Range": "bytes=99999999-"}, status: http.StatusRequestedRangeNotSatisfiable})
	}
}

// notReady sends each operation to a server on the same log that was never
// run, hence never ready: what needs the views or Kafka answers 503.
func (c *apiChecker) notReady(t *testing.T, kcfg kafka.Config) {
	t.Helper()
	srv, err := server.New(server.Config{ServerID: "s3", APIKey: "k3y"}, kcfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { // Run on a done context only releases Kafka.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := srv.Run(ctx); err != nil {
			t.Errorf("server s3: %v", err)
		}
	}()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	c3 := &apiChecker{base: hs.URL, doc: c.doc, router: c.router, seen: c.seen, statuses: c.statuses}
	for _, k := range []apiCall{
		{method: "GET", target: "/api/rooms", status: 503},
		{method: "GET", target: "/api/rooms/news", status: 503},
		{method: "GET", target: "/api/rooms/news/events", status: 503},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":"hi"}`, status: 503},
		{method: "GET", target: "/api/users", status: 503},
		{method: "GET", target: "/api/users/alice", status: 503},
		{method: "GET", target: "/api/users/alice/unread", status: 503},
		{method: "GET", target: "/readyz", status: 503},
		{method: "GET", target: "/healthz", status: 200},
		{method: "GET", target: "/ws?user=alice", status: 503},
	} {
		c3.do(t, k)
	}
	// A server process still waiting for Kafka at its start (Starting).
	hs4 := httptest.NewServer(server.NewStarting("waiting for Kafka at k:9092"))
	defer hs4.Close()
	c4 := &apiChecker{base: hs4.URL, doc: c.doc, router: c.router, seen: c.seen, statuses: c.statuses}
	for _, k := range []apiCall{
		{method: "GET", target: "/", status: 503},
		{method: "GET", target: "/metrics", status: 200},
		{method: "GET", target: "/api/openapi.json", status: 200},
		{method: "GET", target: "/healthz", status: 200},
		{method: "GET", target: "/readyz", status: 503},
		{method: "GET", target: "/api/rooms", status: 503},
	} {
		c4.do(t, k)
	}
}
