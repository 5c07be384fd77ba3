package main_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/gorilla/websocket"
)

// TestSecretsStayOutOfLogs runs dev at debug level with an auth secret and
// an API key, uses a good and a forged token and a good and a wrong key, and
// checks that none of them shows up in the logs.
func TestSecretsStayOutOfLogs(t *testing.T) {
	const secret, key = "s3cret-for-the-log-test", "k3y-for-the-log-test"
	broker, httpAddr := freeAddr(t), freeAddr(t)
	d := startProc(t, httpAddr, "--log-level", "debug", "dev", "--data-dir", t.TempDir(), "--broker-addr", broker,
		"--http", httpAddr, "--auth-secret", secret, "--api-key", key)
	token, err := run(t, "token", "--user", "ann", "--auth-secret", secret)
	token = strings.TrimSpace(token)
	if err != nil || strings.Count(token, ".") != 2 {
		t.Fatalf("token: %v %q", err, token)
	}
	c := testenv.DialQuery(t, d.url, "token="+token, "ann")
	c.Send(testenv.Frame{"op": "join", "room": "quiet"})
	c.Expect("snapshot", testenv.Frame{})
	forged := token[:len(token)-4] + "AAAA"
	ws := "ws" + strings.TrimPrefix(d.url, "http") + "/ws?token=" + forged
	if _, resp, err := websocket.DefaultDialer.Dial(ws, nil); err == nil || resp.StatusCode != 401 {
		t.Fatalf("forged token: %v %v", resp, err)
	}
	for _, k := range []string{key, "wrong-" + key} {
		req, _ := http.NewRequest("POST", d.url+"/api/rooms/quiet/messages", strings.NewReader(`{"user":"bot","text":"hi"}`))
		req.Header.Set("Authorization", "Bearer "+k)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	d.stop(t)
	logs := d.log.String()
	for name, s := range map[string]string{"secret": secret, "token": token, "forged token": forged, "api key": key} {
		if strings.Contains(logs, s) {
			t.Errorf("the %s appears in the logs", name)
		}
	}
}
