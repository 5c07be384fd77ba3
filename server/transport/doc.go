// Package transport is one WebSocket connection of the server, below the
// protocol: its bounded outbound queue (QueueSize frames and QueueBytes
// bytes; over either bound the client is closed with 4008), the writes that
// frame the queued frames themselves into one socket write per batch
// (bufConn, appendFrame), made by a few workers for every connection
// (Flusher) and by a write loop of the connection's own only while its
// socket is full (or it closes, or has no flusher), frames that may wait a
// little to share a write with the next ones (EnqueueLater), the
// pings and the silence that drops a client, the reads of the client's
// frames that hand its messages to the connection's owner (frames.go,
// reader.go), the poller that watches idle sockets in one epoll instance so
// that an idle connection costs no goroutine (Poller), and the close
// handshake. gorilla/websocket answers the handshake; the frames both ways
// are the server's own. It knows nothing of rooms, sessions' requests or
// Kafka.
//
// # Concurrency
//
// A Conn's methods are safe for concurrent use. Enqueue and EnqueueLater
// never block on the socket: the fan-out calls them under its own locks.
// Lock order, across the server: hub partition lock → subscription lock →
// connection queue lock (Conn.qmu). The queue lock is held while queueing
// and taking batches only, never while writing to the socket. The
// buffered socket's own lock (bufConn.mu) is held while it writes; it is
// taken under no other lock. The poller's lock (Poller.mu) is held while it registers,
// rearms, unregisters or looks up a socket, never while a frame is read or
// handled; it is taken under no other lock. The flusher's lock
// (Flusher.mu) is held while a connection is handed to it or taken from
// it; it may be taken under the queue lock, and nothing is taken under it.
package transport
