// Package presence decides which sessions of which server instances are to
// be expired, and which instances are to be retired or forgotten, from what
// the servers table says. It is pure: no Kafka, no clock, no logging. The
// server gathers the input (the table's rows, read after the table was seen
// to be current) and carries out the plan.
//
// # The rule
//
// A session is removed only on evidence that it is gone. For an instance of
// another server that evidence is its silence, and silence counts only as
// seen in a table that is current (Input.Settled): a table that is behind
// says that the table is behind, not that a server is gone. So a plan made
// from an unsettled table expires nothing; it only says whether settling is
// worth it (Plan.NeedSettled).
//
// # Who does what
//
//   - Every instance takes over the instances of its own server id that ran
//     before it (a restart under the same id): it expires their sessions at
//     once and retires them.
//   - The sweeper, the live instance with the smallest id, expires the
//     sessions of every instance silent for longer than the TTL and retires
//     it; it forgets retired instances that hold nothing; and it expires
//     the sessions of bucket rows whose instance row has been missing for
//     longer than the TTL (a forget that raced with a late join).
//
// Two instances that both believe they sweep do no harm: the fold removes a
// session once.
package presence
