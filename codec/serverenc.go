package codec

// encodeServer returns what encode(s) returns: the servers group writes a
// bucket row on every join, leave and expiry of a session, about a 64th of
// its instance's sessions (80 of them with 5,000 sessions on a server), and
// json.Marshal spent most of the group's callback on it in a profile of
// 5,000 joins, reflecting over Held and sorting its keys. See appender.go
// for the rules it follows.
func encodeServer(s *ServerState) ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	a := getAppender()
	a.raw(`{"v":`)
	a.int(int64(s.V))
	a.raw(`,"instance":`)
	a.str(s.Instance)
	if s.Bucket != "" {
		a.raw(`,"bucket":`)
		a.str(s.Bucket)
	}
	a.raw(`,"server":`)
	a.str(s.Server)
	a.raw(`,"beat":`)
	a.str(s.Beat)
	a.raw(`,"since":`)
	a.str(s.Since)
	if s.Retired {
		a.raw(`,"retired":true`)
	} else {
		a.raw(`,"retired":false`)
	}
	a.raw(`,"held":`)
	object(a, s.Held, (*appender).held, nil)
	a.raw("}")
	return a.result(s)
}

// held appends one held session of a bucket row.
func (a *appender) held(h Held) {
	a.raw(`{"room":`)
	a.str(h.Room)
	a.raw(`,"user":`)
	a.str(h.User)
	a.raw(`,"session":`)
	a.str(h.Session)
	a.raw("}")
}
