package transport

import (
	"encoding/binary"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// The server reads its clients' frames itself rather than through
// gorilla's NextReader, for two reasons. An idle connection should cost no
// goroutine: the poller (Poller) waits for its socket, and a reader starts
// when a frame comes and ends after it, which needs a read of exactly one
// frame, where NextReader reads past a control frame into a wait for the
// next data frame. And a reader that starts and ends with each frame must
// not read ahead: bytes of the next frame held in a buffer would not wake
// the poller. So a frame is read with two reads of the socket, its header
// and then its payload, and nothing more.
//
// The rules are gorilla's, as NextReader applies them to a server's side
// without extensions: reserved bits, unknown opcodes, unmasked frames,
// control frames over 125 bytes or fragmented, a data frame inside a
// fragmented message and a continuation outside one are protocol errors,
// closed with 1002 and the reasons; a close's code must be one a peer may
// send and its reason UTF-8.

// Opcodes of RFC 6455, 5.2.
const (
	opContinuation byte = 0x0
	opText         byte = 0x1
	opBinary       byte = 0x2
	opClose        byte = 0x8
	opPing         byte = 0x9
	opPong         byte = 0xa
)

// maxControlPayload is the longest payload of a control frame.
const maxControlPayload = 125

// header is a client's frame header.
type header struct {
	fin  bool
	op   byte
	n    int64 // the payload's length
	mask [4]byte
}

// protocolError is a frame the protocol does not allow: the connection is
// closed with 1002 and this reason.
type protocolError string

func (e protocolError) Error() string { return "websocket: " + string(e) }

// readHeader reads a client frame's header from r, exactly its bytes.
// inMessage tells whether a fragmented data message is under way. An error
// is r's, or a protocolError.
func readHeader(r io.Reader, inMessage bool) (header, error) {
	var b [12]byte
	if _, err := io.ReadFull(r, b[:2]); err != nil {
		return header{}, err
	}
	h := header{fin: b[0]&0x80 != 0, op: b[0] & 0x0f, n: int64(b[1] & 0x7f)}
	var errs []string
	for i, bit := range []byte{0x40, 0x20, 0x10} {
		if b[0]&bit != 0 {
			errs = append(errs, "RSV"+strconv.Itoa(i+1)+" set")
		}
	}
	switch h.op {
	case opClose, opPing, opPong:
		if h.n > maxControlPayload {
			errs = append(errs, "len > 125 for control")
		}
		if !h.fin {
			errs = append(errs, "FIN not set on control")
		}
	case opText, opBinary:
		if inMessage {
			errs = append(errs, "data before FIN")
		}
	case opContinuation:
		if !inMessage {
			errs = append(errs, "continuation after FIN")
		}
	default:
		errs = append(errs, "bad opcode "+strconv.Itoa(int(h.op)))
	}
	if b[1]&0x80 == 0 {
		errs = append(errs, "bad MASK")
	}
	if len(errs) > 0 {
		return h, protocolError(strings.Join(errs, ", "))
	}
	ext := 0
	switch h.n {
	case 126:
		ext = 2
	case 127:
		ext = 8
	}
	if _, err := io.ReadFull(r, b[:ext+4]); err != nil {
		return h, err
	}
	switch ext {
	case 2:
		h.n = int64(binary.BigEndian.Uint16(b[:2]))
	case 8:
		u := binary.BigEndian.Uint64(b[:8])
		if u > math.MaxInt64 {
			return h, protocolError("length over 2^63")
		}
		h.n = int64(u)
	}
	copy(h.mask[:], b[ext:ext+4])
	return h, nil
}

// unmask unmasks p, a frame's whole payload.
func unmask(key [4]byte, p []byte) {
	for i := range p {
		p[i] ^= key[i&3]
	}
}

// closeCode returns the code and the reason of a client's close frame's
// payload, or a protocolError: 1005 for an empty payload, as gorilla
// reads it.
func closeCode(payload []byte) (int, string, error) {
	if len(payload) < 2 {
		return websocket.CloseNoStatusReceived, "", nil
	}
	code := int(binary.BigEndian.Uint16(payload))
	if !validReceivedCode(code) {
		return 0, "", protocolError("bad close code " + strconv.Itoa(code))
	}
	text := string(payload[2:])
	if !utf8.ValidString(text) {
		return 0, "", protocolError("invalid utf8 payload in close frame")
	}
	return code, text, nil
}

// validReceivedCode reports whether a peer may send code in a close frame:
// the codes of RFC 6455, 7.4.1, that are not reserved for local use, and
// 3000 to 4999.
func validReceivedCode(code int) bool {
	switch code {
	case websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseProtocolError,
		websocket.CloseUnsupportedData, websocket.CloseInvalidFramePayloadData,
		websocket.ClosePolicyViolation, websocket.CloseMessageTooBig,
		websocket.CloseMandatoryExtension, websocket.CloseInternalServerErr,
		websocket.CloseServiceRestart, websocket.CloseTryAgainLater:
		return true
	}
	return code >= 3000 && code <= 4999
}
