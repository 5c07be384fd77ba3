// Package processors holds chatstate's goka group graphs and the pure fold
// functions they wrap.
//
// # Groups
//
// The rooms group reads the events topic (key = room), keeps one RoomState
// row per room in its table, and emits the derived presence records (key =
// user). The users group reads the presence topic and keeps one UserState row
// per user. Both read their input raw: a record that does not decode or
// validate goes to the dead-letter topic with its reason, and processing
// goes on.
//
// # Exactly-once effect
//
// goka is at-least-once: after a crash, input is delivered again from the
// last committed offset, and a table update and an emitted record are two
// separate writes of which a crash may keep either. Each row therefore
// records how far it has applied its input (RoomState.Cursor,
// UserRoom.Applied), skips what it has seen, and the rooms group emits the
// derived records of a skipped event again (see ApplyRoom). The row itself is
// written again too: goka updates its local copy of the table before Kafka
// acknowledges the table write, so after a crash the local copy may be ahead
// of the table topic that views read.
//
// # Replay
//
// ApplyRoom, ApplyUser and Derive are pure and deterministic; replay and
// verify fold the log with the very same functions.
package processors
