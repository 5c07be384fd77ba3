// Package server is chatstate's WebSocket and HTTP front. It builds and
// runs a Server: the wiring of the packages below it, its Config, the
// sessions' requests (join, leave, send, ping) and the writes they make to
// the events topic, the leaves it owes Kafka, presence (heartbeats, the
// sweep that expires dead servers' sessions, re-assertion, settling of the
// servers table), connection limits and the lock of its state directory.
//
// # Layout
//
// The data flow reads top-down, one package per step, and no package below
// imports this one:
//
//   - server/transport: one WebSocket connection, its bounded queue, writes
//     (a few workers for every connection, a write loop for a full socket),
//     reads (one epoll poller for the idle sockets), pings;
//   - server/protocol: client frames decoded and checked, server frames,
//     error and close codes;
//   - server (this package): a session's requests over a transport
//     connection, against the views, the log reader and the producer;
//   - server/fanout: the tail of the events topic and the hub that hands
//     its events to the sessions' connections;
//   - server/httpapi, server/ops, server/web: the HTTP API, the metrics and
//     probes, the pages.
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
// # Concurrency and lock order
//
// A session's requests run one at a time under its own lock (conn.mu),
// which is taken before any other. Then: hub partition lock → subscription
// lock → connection queue lock (in fanout and transport). None of them is
// held while writing to a socket or to Kafka. The buffered socket's own
// lock (in transport) is held while it writes; it is taken under no other.
// Server's exported methods are safe for concurrent use; Run may be called
// once.
package server
