package main

import (
	"encoding/json"
	"testing"
)

// TestPayloadRoundTrip checks that a payload survives the server's frame
// encoding and is found again by the byte search the receivers use.
func TestPayloadRoundTrip(t *testing.T) {
	text := string(makePayload(nil, "ab12", 4711, 1_700_000_000_123_456_789, 200))
	if len(text) != 200 {
		t.Fatalf("payload is %d bytes, want 200", len(text))
	}
	frame, err := json.Marshal(map[string]any{"op": "event", "room": "r", "cursor": 99,
		"event": map[string]any{"id": "x", "type": "message", "text": text}})
	if err != nil {
		t.Fatal(err)
	}
	// json.Marshal sorts map keys; the server's frames start with op.
	frame = append([]byte(`{"op":"event",`), frame[len(`{`):]...)
	p, ok := parseEvent(frame, []byte(`"text":"`+payloadHeader("ab12")))
	if !ok || !p.bench || p.id != 4711 || p.sendNs != 1_700_000_000_123_456_789 || p.cursor != 99 {
		t.Fatalf("parsed %+v, ok %v from %s", p, ok, frame)
	}
	if p, ok := parseEvent(frame, []byte(`"text":"`+payloadHeader("other"))); !ok || p.bench {
		t.Fatalf("another run's marker matched: %+v", p)
	}
}

func TestParseAckAndError(t *testing.T) {
	if id, ok := parseAck([]byte(`{"op":"ack","ref":123,"room":"r","cursor":5}`)); !ok || id != 123 {
		t.Fatalf("ack: %d %v", id, ok)
	}
	code, ref, ok := parseError([]byte(`{"op":"error","code":"rate_limited","message":"too many","ref":7}`))
	if !ok || code != "rate_limited" || ref != 7 {
		t.Fatalf("error: %q %d %v", code, ref, ok)
	}
	if _, ref, _ := parseError([]byte(`{"op":"error","code":"internal","message":"x"}`)); ref != -1 {
		t.Fatalf("error without ref: ref %d", ref)
	}
}
