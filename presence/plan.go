package presence

import (
	"time"

	"github.com/chatstate/chatstate/codec"
)

// Instance is what the servers table says of one server instance.
type Instance struct {
	// ID is the instance id: server id, "/", a random part.
	ID string
	// Server is the server id the instance beat with, "" if it never beat.
	Server string
	// LastSign is the time of its last beat, or of its first record before
	// any (codec.ServerState.LastSign).
	LastSign time.Time
	// Retired: the instance said goodbye, or was retired by a sweeper.
	Retired bool
	// Row: the instance row exists. An instance with bucket rows only is an
	// orphan.
	Row bool
	// Held are the sessions it holds. Nil means not read: Candidates names
	// the instances whose sessions a plan needs.
	Held []codec.Held
}

// Input is everything a plan is made from.
type Input struct {
	// Self is this instance's id, ServerID its server id.
	Self, ServerID string
	// Now is the moment the table was current as of (when Settled), or the
	// time of reading it.
	Now time.Time
	// TTL is how long an instance may stay silent before its sessions are
	// expired.
	TTL time.Duration
	// Settled: the table was current as of Now.
	Settled bool
	// Instances are the table's instances, Self included or not.
	Instances []Instance
	// Orphans is when each orphan was first seen so, as the last plan left
	// it (nil: none).
	Orphans map[string]time.Time
}

// Then is what follows an instance's expiries once they are written.
type Then int

// The follow-ups.
const (
	// Nothing more.
	Nothing Then = iota
	// Retire the instance.
	Retire
	// Forget the instance: it is retired and holds nothing.
	Forget
)

// Action is what to do about one instance: write an expire event for each
// session of Expire, then, if that went well, Then.
type Action struct {
	Instance string
	// Server is the instance's server id, for the retire or forget record.
	Server string
	Expire []codec.Held
	Then   Then
	// Why says in words why, for the log.
	Why string
}

// Plan is the outcome of Make.
type Plan struct {
	// Actions, in instance order.
	Actions []Action
	// Sweeper: this instance is the one that sweeps.
	Sweeper bool
	// NeedSettled: the table, if it is current, would have something
	// expired; make the plan again from a settled table.
	NeedSettled bool
	// Orphans is the orphan bookkeeping to pass to the next plan.
	Orphans map[string]time.Time
}
