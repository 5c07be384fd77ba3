package codec

// encodePresence returns what encode(p) returns: the rooms processor emits
// a presence record per event, and writing it by hand takes the reflection
// of json.Marshal off that path. See roomenc.go for the rules it follows.
func encodePresence(p *Presence) ([]byte, error) {
	if p == nil {
		return []byte("null"), nil
	}
	// The exact size unless a string needs escapes: one allocation.
	n := len(`{"v":,"op":"","user":"","room":"","source":,"ts":""}`) +
		intLen(int64(p.V)) + len(p.Op) + len(p.User) + len(p.Room) + intLen(p.Source) + len(p.TS)
	if p.Session != "" {
		n += len(`"session":"",`) + len(p.Session)
	}
	if p.Server != "" {
		n += len(`"server":"",`) + len(p.Server)
	}
	a := appender{b: make([]byte, 0, n)}
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
	if a.bad {
		return encode(p)
	}
	return a.b, nil
}

// intLen is the length of n in decimal, to size a buffer exactly.
func intLen(n int64) int {
	l := 1
	if n < 0 {
		l++
	}
	for ; n >= 10 || n <= -10; n /= 10 {
		l++
	}
	return l
}
