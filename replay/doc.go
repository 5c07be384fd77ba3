// Package replay recomputes chatstate's state from the log, with the very
// fold functions the processors use (processors.ApplyRoom, Derive and
// ApplyUser): a room as of a cursor or a time (Room), the whole log folded
// into room and user states (FoldLog), the comparison of that fold with the
// tables (Verify), and the reset that makes the processors recompute the
// tables from the log (PlanRebuild, RebuildPlan.Execute).
//
// # Replaying one room
//
// A room lives in one partition of the events topic, so its state as of
// cursor C is the fold of its events at offsets up to C, read from the start
// of that partition. Room reads the partition from its first retained offset,
// or, when given the room's current row and a bound at or after the row's
// cursor, continues from the row. A time bound folds the room's events up to,
// not including, the first one stamped (event ts) later than the time: a
// prefix of the log, hence a state the room really had, even when servers'
// clocks disagree a little.
//
// When retention has deleted the start of the partition, the fold of what is
// left is the room's state only if the room began after the cut. Given the
// room's row, Room refuses (ErrRetention) when the fold's Created differs from
// the row's: the room began before the first retained offset. Events stamped
// within the same millisecond cannot be told apart this way.
//
// # Verify
//
// Verify reads a snapshot of the rooms and users table topics, then folds
// every retained event, each room only up to the cursor its row reflects and
// each user's presence in a room only up to the watermark its row records
// (Applied), and compares field by field. It works against a running system
// under traffic:
//
//   - Contents are compared at the table's own position, so a row that is
//     behind the log is not a difference; a row that disagrees with the fold
//     at its own cursor is, whatever the traffic.
//   - Progress is checked against the consumer groups' committed offsets,
//     which goka commits only once the table write and the emitted records of
//     an event are acknowledged: a room with an event below the rooms group's
//     committed offset must have a row at or past that event, and a user's
//     row must have applied every presence record derived from such an event
//     once the users group has committed past the end the presence topic had
//     at the start. When the users group is behind, Verify waits for it a
//     bounded time (Options.Wait, Options.Retries), then says it could not
//     check presence progress rather than report lag as a difference.
//   - Users are compared per room (sessions and the Applied watermark) and by
//     LastSeen, the latest ts of the records applied: all three are
//     independent of the order in which records of different rooms reach the
//     users processor.
//   - Rooms whose early events retention has deleted cannot be verified from
//     the log: a room in a partition that no longer starts at offset 0 whose
//     row disagrees with the fold of the retained events, and whose row says
//     it was created before its first retained event (or whose row's cursor
//     is below the first retained offset, with no event of the room left up
//     to it), is reported in Report.Unverifiable, not as a difference. A room
//     created after the cut is verified like any other. (A cut between two
//     events of one room stamped in the same millisecond, or a server clock
//     running behind another's, can still show as a difference; retention
//     cuts whole segments, so this is rare.) Users are compared without
//     unverifiable rooms; their LastSeen then only must not be older than
//     the fold's.
//
// # Rebuild
//
// PlanRebuild refuses while members of the processors' consumer groups are
// running (RunningError names them). Execute deletes the rooms and users
// consumer groups (their committed offsets: the next processor starts from
// the log start), deletes the records of the presence topic (they are
// derived and will be emitted again), and writes a tombstone for every key
// of the rooms and users table topics. The servers group and its table are
// kept: it reads the presence records emitted again, and since adding and
// removing a session are idempotent and a session's records come in its
// room's order, each server's sessions end as they were.
//
// Tombstones rather than deleting the topics work alike on the embedded
// broker and on Apache Kafka (which refuses DeleteRecords on compacted
// topics), keep the topics' ids and settings, and clear every local copy
// too: a processor or view restarted with an old state directory recovers
// from its stored offset, reads the tombstones and drops its stale rows.
package replay
