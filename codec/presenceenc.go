package codec

// encodePresence returns what encode(p) returns: the rooms processor emits
// a presence record per event, and writing it by hand takes the reflection
// of json.Marshal off that path. See appender.go for the rules it follows.
func encodePresence(p *Presence) ([]byte, error) {
	if p == nil {
		return []byte("null"), nil
	}
	a := getAppender()
	a.raw(`{"v":`)
	a.int(int64(p.V))
	a.raw(`,"op":`)
	a.str(string(p.Op))
	a.raw(`,"user":`)
	a.str(p.User)
	a.raw(`,"room":`)
	a.str(p.Room)
	if p.Session != "" { // omitempty
		a.raw(`,"session":`)
		a.str(p.Session)
	}
	if p.Server != "" { // omitempty
		a.raw(`,"server":`)
		a.str(p.Server)
	}
	a.raw(`,"source":`)
	a.int(p.Source)
	a.raw(`,"ts":`)
	a.str(p.TS)
	a.raw("}")
	return a.result(p)
}
