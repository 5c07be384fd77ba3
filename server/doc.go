// Package server is chatstate's WebSocket and HTTP front: the /ws endpoint,
// the HTTP API, health and readiness, the fan-out hub and the tail reader of
// the events topic.
//
// # Consistent snapshot, then stream
//
// A join registers the connection in the hub first, in a buffering state,
// and learns the last cursor of the room that the tail has dispatched. It
// then reads the room's row from the view; if the view lags behind that
// cursor, it folds the missing events from the log into the row with the
// processors' own fold. The snapshot is the row at its cursor C; the buffered
// and all later events are delivered when their cursor is above C. Nothing is
// lost between view and tail, and nothing is delivered twice.
//
// # Lock order
//
// hub partition lock → subscription lock → connection queue lock. None of
// them is held while writing to a socket or to Kafka. The buffered socket's
// own lock (bufconn) is held while it writes; it is taken under no other.
package server
