package server_test

import (
	"fmt"
	"github.com/chatstate/chatstate/internal/testenv"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/server"
)

// scrape returns the /metrics text.
func scrape(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

// waitMetrics polls /metrics until ok accepts it, for up to 30 s (the Kafka
// gauges refresh every 5 s).
func waitMetrics(t *testing.T, base, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m := scrape(t, base)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never showed %s:\n%s", what, m)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestKafkaSideMetrics: the delivery histogram counts every event the tail
// delivered, the views report ready, the processors' lag goes to zero once
// they have folded the log, and the dead-letter topic's records are counted.
func TestKafkaSideMetrics(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{APIKey: "k"})
	c := s.dial("meter")
	c.Send(frame{"op": "join", "room": "gauge"})
	c.Expect("snapshot", frame{})
	c.ExpectEvent("gauge", "join", "meter")
	for i := range 3 {
		c.Send(frame{"op": "send", "room": "gauge", "text": fmt.Sprint("m", i), "ref": i})
		c.AckAndEcho(i)
	}
	if st, out := post(t, s.http.URL+"/api/rooms/gauge/messages", "k", `{"user":"poster","text":"m3"}`); st != 200 {
		t.Fatalf("post: %d %v", st, out)
	}
	c.ExpectEvent("gauge", "message", "poster")
	m := scrape(t, s.http.URL)
	// Three messages over the socket and one over HTTP, each handed to
	// Kafka and acknowledged.
	for _, line := range []string{"\nchatstate_sends_total 4\n", "\nchatstate_messages_acked_total 4\n"} {
		if !strings.Contains(m, line) {
			t.Fatalf("metrics lack %q:\n%s", line, m)
		}
	}
	// The tail observed the join and the four messages before they reached
	// the socket.
	if !strings.Contains(m, "\nchatstate_delivery_seconds_count 5\n") {
		t.Fatalf("delivery histogram does not count 5 events:\n%s", m)
	}
	for _, table := range []string{"rooms", "users", "servers"} {
		if line := fmt.Sprintf("\nchatstate_view_ready{table=%q} 1\n", table); !strings.Contains(m, line) {
			t.Fatalf("metrics lack %q", line)
		}
	}

	// HTTP errors are counted by code, as error frames are.
	var out map[string]any
	for range 2 {
		if code := getJSON(t, s.http.URL+"/api/rooms/bad%20name", &out); code != 400 {
			t.Fatalf("bad room name: %d %v", code, out)
		}
	}
	if m := scrape(t, s.http.URL); !strings.Contains(m, "\nchatstate_request_errors_total{code=\"bad_request\"} 2\n") {
		t.Fatalf("metrics do not count the 2 bad requests:\n%s", m)
	}

	p := testenv.Producer(t, s.kcfg.Brokers, s.kcfg.Sarama("test"))
	if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: string(s.kcfg.Names.Events), Key: sarama.StringEncoder("gauge"), Value: sarama.StringEncoder("not json")}); err != nil {
		t.Fatal(err)
	}
	rooms := regexp.MustCompile(fmt.Sprintf(`chatstate_processor_lag\{group=%q,partition="(\d+)",topic=%q\} (\d+)`, s.kcfg.Names.RoomsGroup, s.kcfg.Names.Events))
	waitMetrics(t, s.http.URL, "one dead letter and the rooms group caught up", func(m string) bool {
		lines := rooms.FindAllStringSubmatch(m, -1)
		if len(lines) != s.kcfg.Partitions {
			return false
		}
		for _, l := range lines {
			if l[2] != "0" {
				return false
			}
		}
		return strings.Contains(m, "\nchatstate_dead_letters 1\n")
	})
}
