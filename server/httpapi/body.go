package httpapi

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/chatstate/chatstate/server/protocol"
	"github.com/go-json-experiment/json"
)

// postBody is the body of POST /api/rooms/{room}/messages. The pointers
// tell a missing member from an empty one.
type postBody struct {
	User *string `json:"user"`
	Text *string `json:"text"`
}

// bodyBuffers hold request bodies while they are decoded: a publish's body
// is a few hundred bytes, read at the rate of the publishes.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readPostBody decodes the body of a publish, read up to limit bytes. It
// is decoded with the JSON v2 prototype, as the log's events are: member
// names match exactly, and a repeated member, invalid UTF-8 or anything
// after the object is refused. Unknown members are ignored. The error is
// too_large past limit, bad_request otherwise.
func readPostBody(w http.ResponseWriter, r *http.Request, limit int) (postBody, *protocol.Error) {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 { // a body near the limit is not kept
			buf.Reset()
			bodyBuffers.Put(buf)
		}
	}()
	buf.Reset()
	var body postBody
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, int64(limit))); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return body, protocol.Errorf(protocol.CodeTooLarge, "body exceeds %d bytes", limit)
		}
		return body, protocol.Errorf(protocol.CodeBadRequest, "reading the body: %v", err)
	}
	if err := json.Unmarshal(buf.Bytes(), &body); err != nil {
		return body, protocol.Errorf(protocol.CodeBadRequest, "body must be a JSON object with user and text")
	}
	return body, nil
}

// writeCursor answers a publish: {"cursor": N}, as WriteJSON would write it.
func writeCursor(w http.ResponseWriter, cursor int64) {
	b := make([]byte, 0, 32)
	b = append(b, `{"cursor":`...)
	b = strconv.AppendInt(b, cursor, 10)
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
