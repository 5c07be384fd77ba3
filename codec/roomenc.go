package codec

// encodeRoom returns what encode(s) returns, several times faster. See
// appender.go for the rules it follows.
func encodeRoom(s *RoomState) ([]byte, error) { return encodeRoomMemo(s, nil) }

// encodeRoomMemo is encodeRoom that takes from m, if not nil, what it
// remembers of an earlier encode of the row, and leaves in m what the next
// encode can take from this one (see roommemo.go). The output does not
// depend on m: what m remembers is only used where it is checked to be the
// same as the row's.
func encodeRoomMemo(s *RoomState, m *roomMemo) ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	var reads *[]string
	if m != nil {
		reads = &m.reads
	}
	a := getAppender()
	a.raw(`{"v":`)
	a.int(int64(s.V))
	a.raw(`,"room":`)
	a.str(s.Room)
	a.raw(`,"cursor":`)
	a.int(s.Cursor)
	a.raw(`,"members":`)
	if m != nil {
		a.members(s.Members, &m.members)
	} else {
		object(a, s.Members, (*appender).strMap, nil)
	}
	a.raw(`,"messages":`)
	a.int(s.Messages)
	a.raw(`,"created":`)
	a.str(s.Created)
	a.raw(`,"updated":`)
	a.str(s.Updated)
	a.raw(`,"marks":`)
	a.ints(s.Marks)
	if len(s.Reads) > 0 { // omitempty leaves out null and {}
		a.raw(`,"reads":`)
		object(a, s.Reads, (*appender).readMark, reads)
	}
	if len(s.Latest) > 0 {
		a.raw(`,"latest":[`)
		if m != nil {
			a.latestMemo(s.Latest, &m.latest)
		} else {
			for i := range s.Latest {
				if i > 0 {
					a.raw(",")
				}
				a.latest(&s.Latest[i])
			}
		}
		a.raw("]")
	}
	a.rules(s)
	a.raw("}")
	if a.bad && m != nil {
		*m = roomMemo{} // it may hold an entry's JSON with U+FFFD for invalid UTF-8
	}
	return a.result(s)
}

// rules appends the fields of the room's rules, each as omitempty (or for
// Private omitzero) leaves it out.
func (a *appender) rules(s *RoomState) {
	if s.Owner != "" {
		a.raw(`,"owner":`)
		a.str(s.Owner)
	}
	a.names(`,"moderators":`, s.Moderators)
	if s.Private {
		a.raw(`,"private":true`)
	}
	if s.Topic != "" {
		a.raw(`,"topic":`)
		a.str(s.Topic)
	}
	a.names(`,"invited":`, s.Invited)
	a.names(`,"banned":`, s.Banned)
	a.names(`,"muted":`, s.Muted)
	a.names(`,"dm":`, s.DM)
}

// names appends the member key and a list of strings, or nothing for an
// empty or nil list (omitempty).
func (a *appender) names(key string, v []string) {
	if len(v) == 0 {
		return
	}
	a.raw(key)
	a.raw("[")
	for i, u := range v {
		if i > 0 {
			a.raw(",")
		}
		a.str(u)
	}
	a.raw("]")
}

// readMark appends one user's read state; a nil one as null.
func (a *appender) readMark(r *ReadMark) {
	if r == nil {
		a.raw("null")
		return
	}
	a.raw(`{"cursor":`)
	a.int(r.Cursor)
	a.raw(`,"count":`)
	a.int(r.Count)
	a.raw(`,"mentions":`)
	a.int(r.Mentions)
	a.raw("}")
}

// latest appends one of the latest messages; Mentioned as omitempty does.
func (a *appender) latest(m *LatestMessage) {
	a.raw(`{"c":`)
	a.int(m.Cursor)
	a.raw(`,"u":`)
	a.str(m.User)
	if len(m.Mentioned) > 0 {
		a.raw(`,"m":[`)
		for i, u := range m.Mentioned {
			if i > 0 {
				a.raw(",")
			}
			a.str(u)
		}
		a.raw("]")
	}
	a.raw("}")
}
