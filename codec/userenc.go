package codec

// encodeUser returns what encode(s) returns: the users processor writes its
// user's row on every presence record, and writing it by hand takes the
// reflection of json.Marshal, and its sorting of the rooms, off that path.
// See appender.go for the rules it follows.
func encodeUser(s *UserState) ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	a := getAppender()
	a.raw(`{"v":`)
	a.int(int64(s.V))
	a.raw(`,"user":`)
	a.str(s.User)
	a.raw(`,"rooms":`)
	object(a, s.Rooms, (*appender).userRoom, nil)
	a.raw(`,"last_seen":`)
	a.str(s.LastSeen)
	a.raw("}")
	return a.result(s)
}

// userRoom appends a room of a user's row.
func (a *appender) userRoom(ur *UserRoom) {
	switch {
	case ur == nil:
		a.raw("null")
		return
	case len(ur.Sessions) == 0: // omitempty leaves out both null and {}
		a.raw(`{"applied":`)
	default:
		a.raw(`{"sessions":`)
		a.strMap(ur.Sessions)
		a.raw(`,"applied":`)
	}
	a.int(ur.Applied)
	a.raw("}")
}
