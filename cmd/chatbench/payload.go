package main

import (
	"bytes"
	"strconv"
)

// A payload is the text of one bench message:
//
//	cb|RUN|ID|SENDNS|xxxx…
//
// RUN is the run id, ID the message number, SENDNS the send time in Unix
// nanoseconds; x pads it to the payload size. It holds only characters that
// JSON does not escape, so a receiver finds it in the raw frame with a byte
// search instead of decoding every frame.

// minPayload fits the longest header: a 16-byte run id, a 10-digit message
// number and a 19-digit time.
const minPayload = 64

// payloadHeader is what starts every payload of run.
func payloadHeader(run string) string { return "cb|" + run + "|" }

// makePayload returns the text of message id sent at sendNs, padded to size.
func makePayload(buf []byte, run string, id int, sendNs int64, size int) []byte {
	buf = append(buf[:0], payloadHeader(run)...)
	buf = strconv.AppendInt(buf, int64(id), 10)
	buf = append(buf, '|')
	buf = strconv.AppendInt(buf, sendNs, 10)
	buf = append(buf, '|')
	for len(buf) < size {
		buf = append(buf, 'x')
	}
	return buf
}

// framePrefix starts every event frame; the server encodes frames from a
// struct whose first field is op.
var framePrefix = []byte(`{"op":"event",`)

// ackPrefix starts every ack frame.
var ackPrefix = []byte(`{"op":"ack","ref":`)

// errorPrefix starts every error frame.
var errorPrefix = []byte(`{"op":"error","code":"`)

// parsed is what a receiver needs from one event frame.
type parsed struct {
	cursor int64
	bench  bool // a message of this run
	id     int
	sendNs int64
}

// parseEvent reads an event frame; ok is false for anything else. marker is
// `"text":"` followed by the run's payload header.
func parseEvent(frame, marker []byte) (p parsed, ok bool) {
	if !bytes.HasPrefix(frame, framePrefix) {
		return p, false
	}
	i := bytes.Index(frame, []byte(`"cursor":`))
	if i < 0 {
		return p, false
	}
	p.cursor, _ = leadingInt(frame[i+len(`"cursor":`):])
	j := bytes.Index(frame, marker)
	if j < 0 {
		return p, true // an event of another kind: a join, a leave
	}
	rest := frame[j+len(marker):]
	id, n := leadingInt(rest)
	if n == 0 || n >= len(rest) || rest[n] != '|' {
		return p, true
	}
	ts, m := leadingInt(rest[n+1:])
	if m == 0 {
		return p, true
	}
	p.bench, p.id, p.sendNs = true, int(id), ts
	return p, true
}

// parseAck returns the ref of an ack frame, when it is a number.
func parseAck(frame []byte) (int, bool) {
	if !bytes.HasPrefix(frame, ackPrefix) {
		return 0, false
	}
	v, n := leadingInt(frame[len(ackPrefix):])
	return int(v), n > 0
}

// parseError returns the code of an error frame and its numeric ref, -1 if
// it has none.
func parseError(frame []byte) (code string, ref int, ok bool) {
	if !bytes.HasPrefix(frame, errorPrefix) {
		return "", 0, false
	}
	rest := frame[len(errorPrefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return "", 0, false
	}
	code, ref = string(rest[:end]), -1
	if k := bytes.Index(rest, []byte(`"ref":`)); k >= 0 {
		if v, n := leadingInt(rest[k+len(`"ref":`):]); n > 0 {
			ref = int(v)
		}
	}
	return code, ref, true
}

// leadingInt parses the decimal digits at the start of b and returns the
// value and how many bytes it read.
func leadingInt(b []byte) (int64, int) {
	var v int64
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		v = v*10 + int64(b[n]-'0')
		n++
	}
	return v, n
}
