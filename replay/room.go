package replay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/logread"
	"github.com/chatstate/chatstate/processors"
)

// NoCursor is the Bound.Cursor of a replay to the end of the log.
const NoCursor int64 = math.MaxInt64

// Errors of Room. The errors Room returns match them with errors.Is and
// say what happened in their own words.
var (
	// ErrBeyondEnd: the cursor is past the last offset of the room's partition.
	ErrBeyondEnd = errors.New("replay: cursor beyond the end of the log")
	// ErrRetention: retention deleted events the replay needs.
	ErrRetention = errors.New("replay: retention deleted the events needed")
	// ErrTooMuch: the replay would read more records than allowed.
	ErrTooMuch = errors.New("replay: too many records to read")
	// ErrNoEvents: the room had no events within the bound.
	ErrNoEvents = errors.New("replay: no events within the bound")
)

// Bound says how far a replay goes. Both limits apply.
type Bound struct {
	// Cursor is the last cursor folded; NoCursor for the end of the log.
	Cursor int64
	// Until, if not zero, stops the fold before the room's first event
	// stamped (event ts) later than Until.
	Until time.Time
}

// RoomOptions configure Room.
type RoomOptions struct {
	Bound Bound
	// Row is the room's current table row, or nil: the reference that
	// tells whether retention deleted the room's beginning. Room may modify
	// it.
	Row *codec.RoomState
	// FromRow lets the fold continue from Row when the bound is at or after
	// its cursor (and there is no time bound and no event list asked for),
	// instead of folding the partition from its start.
	FromRow bool
	// MaxRead, if positive, refuses (ErrTooMuch) a replay that would read
	// more offsets of the partition than this.
	MaxRead int64
	// Events keeps the folded events in RoomResult.Events.
	Events bool
}

// RoomResult is a room's replayed state.
type RoomResult struct {
	// State is the room as of the bound: its Cursor is the last event folded.
	State *codec.RoomState
	// Events are the events folded, oldest first, if asked for.
	Events []logread.Entry
	// Partition is the room's partition; Start its first retained offset and
	// End the next offset to be written, when the replay began.
	Partition  int32
	Start, End int64
	FromRow    bool  // the fold continued from RoomOptions.Row
	Read       int64 // offsets of the partition examined
}

// Room replays room up to o.Bound by folding its events from the log with
// processors.ApplyRoom. It fails with an error wrapping ErrBeyondEnd,
// ErrRetention, ErrTooMuch, ErrNoEvents or logread.ErrUnavailable.
func Room(ctx context.Context, r *logread.Reader, room string, o RoomOptions) (*RoomResult, error) {
	start, end, err := r.Bounds(room)
	if err != nil {
		return nil, err
	}
	res := &RoomResult{Partition: r.Partition(room), Start: start, End: end}
	b := o.Bound
	switch {
	case b.Cursor < 0:
		return nil, failf(ErrNoEvents, "room %s had no events at or before cursor %d", room, b.Cursor)
	case b.Cursor != NoCursor && b.Cursor >= end:
		return nil, failf(ErrBeyondEnd, "cursor %d is beyond the end of the log (the last offset of partition %d is %d)", b.Cursor, res.Partition, end-1)
	case b.Cursor < start:
		return nil, failf(ErrRetention, "cursor %d is no longer in the log: retention deleted the offsets of partition %d below %d", b.Cursor, res.Partition, start)
	}
	to := min(b.Cursor, end-1)
	from := start
	var s *codec.RoomState
	if row := o.Row; o.FromRow && row != nil && b.Until.IsZero() && !o.Events && row.Cursor <= to && row.Cursor+1 >= start {
		s, from, res.FromRow = row, row.Cursor+1, true
	}
	if n := to - from + 1; o.MaxRead > 0 && n > o.MaxRead {
		return nil, failf(ErrTooMuch, "room %s as of cursor %d needs %d records of partition %d read, more than the limit of %d",
			room, to, n, res.Partition, o.MaxRead)
	}
	until := ""
	if !b.Until.IsZero() {
		until = codec.FormatTime(b.Until)
	}
	_, last, err := r.Scan(ctx, room, from, to, func(e logread.Entry) bool {
		if until != "" && e.Event.TS > until { // the fixed-width format orders as text
			return false
		}
		s, _, _ = processors.ApplyRoom(s, e.Event, e.Cursor)
		if o.Events {
			res.Events = append(res.Events, e)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	res.Read = last - from + 1
	if s == nil {
		note := ""
		if start > 0 {
			note = fmt.Sprintf(" (retention deleted the offsets of partition %d below %d)", res.Partition, start)
		}
		return nil, failf(ErrNoEvents, "room %s had no events at or before %s%s", room, describe(b), note)
	}
	if !res.FromRow && start > 0 && o.Row != nil && o.Row.Created != s.Created {
		return nil, failf(ErrRetention, "retention deleted the beginning of room %s (created %s; its first retained event is of %s, partition %d starts at offset %d): its state as of %s cannot be replayed",
			room, o.Row.Created, s.Created, res.Partition, start, describe(b))
	}
	res.State = s
	return res, nil
}

// roomError is an error of Room: its message, matching its kind.
type roomError struct {
	kind error
	msg  string
}

func (e *roomError) Error() string { return e.msg }
func (e *roomError) Unwrap() error { return e.kind }

func failf(kind error, format string, args ...any) error {
	return &roomError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// describe renders a bound for messages.
func describe(b Bound) string {
	switch {
	case b.Cursor == NoCursor && b.Until.IsZero():
		return "the end of the log"
	case b.Cursor == NoCursor:
		return codec.FormatTime(b.Until)
	case b.Until.IsZero():
		return fmt.Sprintf("cursor %d", b.Cursor)
	}
	return fmt.Sprintf("cursor %d and %s", b.Cursor, codec.FormatTime(b.Until))
}

// RoomRow returns the room's row as the rooms table topic of cfg holds it
// now, or nil if it has none; it reads the one partition of the topic that
// holds the room.
func RoomRow(ctx context.Context, cfg kafka.Config, room string) (*codec.RoomState, error) {
	c, err := dial(cfg, "replay-row")
	if err != nil {
		return nil, err
	}
	defer c.close()
	topic := string(c.cfg.Names.RoomsTable())
	start, end, err := c.offsets(topic)
	if err != nil {
		return nil, err
	}
	p := kafka.Partition(room, c.cfg.Partitions)
	var raw []byte
	_, err = c.scanPartition(ctx, topic, p, start[p], end[p], new(atomic.Int64), func(m *sarama.ConsumerMessage) {
		if string(m.Key) == room {
			raw = append([]byte(nil), m.Value...)
		}
	})
	if err != nil || raw == nil {
		return nil, err
	}
	v, err := codec.RoomCodec{}.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("replay: the row of room %s in %s: %w", room, topic, err)
	}
	return codec.AsRoom(v), nil
}
