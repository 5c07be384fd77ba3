package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/chatstate/chatstate/server/protocol"
	"github.com/prometheus/client_golang/prometheus"
)

// WriteJSON answers with status and v encoded as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// countingWriter is the ResponseWriter of the API's handlers: WriteError
// counts the errors it writes by code, as the WebSocket's error frames are.
type countingWriter struct {
	http.ResponseWriter
	errors *prometheus.CounterVec
}

// WriteError answers with the HTTP status of e's code and the error body
// of the contract; inside the API's handlers it counts e by code.
func WriteError(w http.ResponseWriter, e *protocol.Error) {
	if cw, ok := w.(*countingWriter); ok {
		cw.errors.WithLabelValues(e.Code).Inc()
	}
	WriteJSON(w, protocol.HTTPStatus(e.Code), map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message}})
}
