package codec

import "math"

// latestMemo remembers the JSON of the entries of a row's Latest. The
// entries of one encode are read while those of the next are written, so
// there are two lists of them, swapped after each encode; their JSON is
// copied last, and only cur holds a buffer of it.
type latestMemo struct {
	cur, next latestEncoded
}

// latestEncoded is the JSON of a list of latest messages, with copies of
// what each was encoded from. It holds no pointer but those of its slices,
// so that the memo does not pin the row's strings (a mention is a slice of
// its message's text) and writing it costs no write barriers, which when
// it held the strings themselves were most of its cost in a profile.
type latestEncoded struct {
	entries []latestEntry
	text    []byte  // the entries' users and mentions, back to back
	lens    []int32 // the length in text of each mention
	json    []byte  // the entries' JSON, separated by commas
}

// latestEntry is one message of a latestEncoded: its JSON is
// json[start:end]; its user is text[t0:t0+user], followed in text by its
// mentions, whose lengths are lens[m0:m1].
type latestEntry struct {
	cursor     int64
	start, end int32
	t0, user   int32
	m0, m1     int32
}

// same reports whether entry j was encoded from a message equal to m.
func (l *latestEncoded) same(j int, m *LatestMessage) bool {
	e := &l.entries[j]
	t := int(e.t0) + int(e.user)
	if e.cursor != m.Cursor || int(e.m1-e.m0) != len(m.Mentioned) || string(l.text[e.t0:t]) != m.User {
		return false
	}
	for i, u := range m.Mentioned {
		n := int(l.lens[int(e.m0)+i])
		if string(l.text[t:t+n]) != u {
			return false
		}
		t += n
	}
	return true
}

// add records m as the next entry, its JSON at [start, end) of the list's.
func (l *latestEncoded) add(m *LatestMessage, start, end int) {
	e := latestEntry{cursor: m.Cursor, start: int32(start), end: int32(end),
		t0: int32(len(l.text)), user: int32(len(m.User)), m0: int32(len(l.lens))}
	l.text = append(l.text, m.User...)
	for _, u := range m.Mentioned {
		l.text = append(l.text, u...)
		l.lens = append(l.lens, int32(len(u)))
	}
	e.m1 = int32(len(l.lens))
	l.entries = append(l.entries, e)
}

// find returns the index of the first entry of cursor, or -1.
func (l *latestEncoded) find(cursor int64) int {
	for j := range l.entries {
		if l.entries[j].cursor == cursor {
			return j
		}
	}
	return -1
}

// latestMemo appends the entries of list, separated by commas, as latest
// would one by one: each entry that lm remembers with an equal message
// from the last encode is copied from there, and runs of such entries that
// followed each other then (the list of a room with one message more and
// one fewer) are copied at once. It leaves in lm this encode's entries.
func (a *appender) latestMemo(list []LatestMessage, lm *latestMemo) {
	old, nw := &lm.cur, &lm.next
	nw.entries, nw.text, nw.lens = nw.entries[:0], nw.text[:0], nw.lens[:0]
	base := len(a.b)
	// The list of the last encode, moved by the messages dropped since.
	shift := old.find(list[0].Cursor)
	r0, r1, runAt := 0, 0, 0 // a run of old entries [r0, r1), to copy to runAt
	for i := range list {
		m := &list[i]
		if j := i + shift; shift >= 0 && j < len(old.entries) && old.same(j, m) {
			if j != r1 || r0 == r1 {
				a.copyRun(old, r0, r1)
				if i > 0 {
					a.raw(",")
				}
				r0, runAt = j, len(a.b)-base
			}
			r1 = j + 1
			start := runAt + int(old.entries[j].start-old.entries[r0].start)
			nw.add(m, start, start+int(old.entries[j].end-old.entries[j].start))
			continue
		}
		a.copyRun(old, r0, r1)
		r0, r1 = 0, 0
		if i > 0 {
			a.raw(",")
		}
		start := len(a.b) - base
		a.latest(m)
		nw.add(m, start, len(a.b)-base)
	}
	a.copyRun(old, r0, r1)
	if len(a.b)-base > math.MaxInt32 || len(nw.text) > math.MaxInt32 {
		*lm = latestMemo{} // beyond the offsets' range; no such row is real
		return
	}
	// Every run is copied out of old.json by now: its buffer takes this
	// encode's JSON.
	nw.json, old.json = append(old.json[:0], a.b[base:]...), nw.json
	lm.cur, lm.next = lm.next, lm.cur
}

// copyRun appends the JSON of l's entries [r0, r1), commas included.
func (a *appender) copyRun(l *latestEncoded, r0, r1 int) {
	if r0 < r1 {
		a.b = append(a.b, l.json[l.entries[r0].start:l.entries[r1-1].end]...)
	}
}
