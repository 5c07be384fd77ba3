package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chatstate/chatstate/api"
	"github.com/chatstate/chatstate/server"
)

// TestStartingAnswersUntilServe: before Serve, /healthz is 200, /metrics
// the metrics with chatstate_ready 0, /api/openapi.json the document, and
// everything else 503 unavailable with the latest reason, in the API's
// error shape; after it, the given handler answers everything.
func TestStartingAnswersUntilServe(t *testing.T) {
	t.Parallel()
	st := server.NewStarting("connecting to Kafka at k:9092")
	ts := httptest.NewServer(st)
	defer ts.Close()
	get := func(method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	unavailable := func(body, reason string) {
		t.Helper()
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != "unavailable" || e.Error.Message != "not ready: "+reason {
			t.Errorf("body %q: want code unavailable, message %q", body, "not ready: "+reason)
		}
	}
	if code, body := get("GET", "/healthz"); code != 200 || body != "{\"status\":\"ok\"}\n" {
		t.Errorf("healthz: %d %q", code, body)
	}
	if code, body := get("GET", "/metrics"); code != 200 || !strings.Contains(body, "\nchatstate_ready 0\n") || !strings.Contains(body, "\nchatstate_connections 0\n") {
		t.Errorf("metrics: %d %q", code, body)
	}
	if code, body := get("GET", "/api/openapi.json"); code != 200 || body != string(api.OpenAPI) {
		t.Errorf("openapi: %d, %d bytes", code, len(body))
	}
	for _, tc := range []struct{ name, method, path string }{
		{"readyz", "GET", "/readyz"},
		{"api", "GET", "/api/rooms"},
		{"post", "POST", "/api/rooms/lobby/messages"},
		{"websocket", "GET", "/ws?user=alice"},
		{"page", "GET", "/"},
	} {
		code, body := get(tc.method, tc.path)
		if code != 503 {
			t.Errorf("%s: status %d, want 503", tc.name, code)
		}
		unavailable(body, "connecting to Kafka at k:9092")
	}
	st.SetReason("waiting for Kafka at k:9092: connection refused")
	_, body := get("GET", "/readyz")
	unavailable(body, "waiting for Kafka at k:9092: connection refused")

	st.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	for _, path := range []string{"/healthz", "/readyz", "/api/rooms"} {
		if code, _ := get("GET", path); code != http.StatusTeapot {
			t.Errorf("%s after Serve: %d, want the served handler's 418", path, code)
		}
	}
}
