// Package fanout delivers the live stream: the tail (Tail) reads every
// partition of the events topic, without a consumer group, and the hub
// (Hub) hands each event to the subscriptions of its room, which queue it
// to their connections, reached through the Subscriber interface. It knows
// neither the transport nor the server.
//
// # Consistent snapshot, then stream
//
// A join subscribes first (Hub.Subscribe), paused: the subscription buffers
// what is dispatched, and the join learns the last cursor of the room the
// tail has dispatched. It then builds the snapshot at a cursor C no lower
// than that, queues it, and calls GoLive(C): the buffered and all later
// events are delivered when their cursor is above C. Nothing is lost
// between the snapshot and the stream, and nothing is delivered twice. A
// subscription ends with its session's own leave, so nothing of the room
// follows it.
//
// # Copies of the rooms served
//
// The hub keeps a copy of each room a join asked for (Hub.Keep, with the
// row and the events the join read from the view and the log, brought up
// to the tail with what Dispatch kept since the join subscribed): Dispatch
// folds every later event of the room into it with the processors' fold
// and keeps the room's last RingSize events. Since Dispatch records the
// room's last cursor after the fold, under the same lock, a copy is never
// behind what a subscription's join learned, and a snapshot built from it
// (Hub.Copy) satisfies the order above as one built from the view does.
// Copies of rooms nobody follows go after a minute (at a prune); a gap in
// the tail drops the copies of its partition.
//
// # Concurrency
//
// Hub, Subscription and Tail are safe for concurrent use; the tail calls
// Dispatch in cursor order per partition. Dispatch never blocks:
// Subscriber.Enqueue and LaterEnqueuer.EnqueueLater must not either. Lock order: hub partition lock →
// subscription lock → the subscriber's own (the connection's queue lock).
// Neither is held while writing to a socket or to Kafka, and the prune's
// known function and the tail's Missed are called without the hub's locks.
package fanout
