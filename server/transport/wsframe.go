package transport

import "encoding/binary"

// maxFrameHeader is the longest header of a server's frame: two bytes and
// an eight-byte length (servers do not mask).
const maxFrameHeader = 10

// appendFrame appends to buf one final, unmasked frame of opcode op carrying
// payload: what a server sends in RFC 6455 without extensions. The write loop
// frames the queued frames itself instead of calling gorilla's WriteMessage,
// which takes a write buffer from the pool, copies the payload into it and
// writes it out, once per frame; here framing is a few header bytes in front
// of the payload shared by every recipient.
func appendFrame(buf []byte, op byte, payload []byte) []byte {
	n := len(payload)
	switch {
	case n < 126:
		buf = append(buf, 0x80|op, byte(n))
	case n <= 0xffff:
		buf = append(buf, 0x80|op, 126)
		buf = binary.BigEndian.AppendUint16(buf, uint16(n))
	default:
		buf = append(buf, 0x80|op, 127)
		buf = binary.BigEndian.AppendUint64(buf, uint64(n))
	}
	return append(buf, payload...)
}
