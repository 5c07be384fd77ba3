// Package client is a Go client of the chatstate WebSocket protocol, for
// bots and services: one connection per user, any number of rooms, and a
// resume of every room from its cursor after a lost connection, so that the
// application receives each event of a room once, in cursor order, without
// gaps.
//
// # Use
//
//	c, err := client.Dial(ctx, client.Options{URL: "http://localhost:8080", User: "bot"})
//	if err != nil { ... }
//	defer c.Close()
//	room, err := c.Join(ctx, "lobby", client.JoinOptions{History: 20})
//	if err != nil { ... }
//	for _, e := range room.Snapshot().Events { ... } // the recent history
//	go func() {
//		for u := range room.Updates() { ... } // everything after it
//	}()
//	cursor, err := room.Send(ctx, "hello")
//
// Dial returns once the server said hello; a first connection that fails is
// an error. From then on the client reconnects by itself until Close.
//
// # Streams
//
// A room's history up to its join is in Room.Snapshot. Room.Updates then
// carries every later event as an EventUpdate, the application's own join,
// messages and leave included, in cursor order and each once, across any
// number of reconnects. Two other updates mark where the stream could not
// go on seamlessly:
//
//   - GapUpdate: after a lost connection, the resume could not bring every
//     missed event: retention deleted some, or more than the server's
//     resume cap (1000) followed the cursor. The newest ones follow.
//   - ResetUpdate: the rejoin could not resume at all, because the server
//     runs on a new log (another epoch) or refused the cursor. Its Snapshot
//     is the room afresh, with recent history; the application should
//     replace what it shows of the room.
//
// Updates is closed when the room ends: after Leave, once the own leave
// event was handed over; at Close; or when a rejoin is refused for good
// (Room.Err says why). A rejoin refused for now (unavailable, internal,
// rate_limited) is tried again on the same connection after a backoff,
// for that room alone: the connection and the other rooms go on.
//
// # Backpressure
//
// The read loop never waits for the application. Each room queues up to
// Options.Buffer updates for it; a live event that finds the queue full is
// dropped and the room stops taking events. Once the application has
// received everything queued, the room rejoins from the cursor of the last
// event queued, and the server's resume brings what was dropped, so a slow
// reader loses nothing unless it falls more than 1000 events behind (then a
// GapUpdate says so). An application that stops reading for good holds the
// room's queue until Close.
//
// # Positions
//
// Options.Store (a CursorStore; a MemoryStore by default) keeps, per room,
// the epoch and cursor of the last update handed to the application. Join
// resumes from a stored position, so a program that persists its store
// receives after a restart the events it missed, once; in another epoch the
// join starts afresh.
//
// # Requests and errors
//
// Send and Leave wait for the server's answer, matched by ref. Refusals
// are *Error values whose Code is the server's (compare with errors.Is and
// ErrRateLimited, ErrForbidden, ErrNotMember, ErrUnavailable, …). A request
// without an answer in time returns its context's error, wrapped; one whose
// connection ended first returns ErrDisconnected. In both cases, and after
// ErrUnavailable, a message may still have been written: it then arrives
// in Updates like any other, so a bot that must not post twice should look
// for it there before sending again.
//
// # Concurrency
//
// Every method of Client and Room is safe for concurrent use. The client
// runs one goroutine for its connection (and one beside it for pings), one
// per room to hand over updates, and one for OnState; Close waits for all
// of them.
package client
