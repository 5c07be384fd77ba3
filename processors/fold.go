package processors

import "github.com/chatstate/chatstate/codec"

// ApplyRoom folds one event of the room at offset into s and returns the new
// state, the presence records the event derives, and whether the row changed.
//
// s may be nil (the room's first event); ApplyRoom takes ownership of s and may
// modify it. An event at or below s.Cursor was applied before (a redelivery):
// the state is returned unchanged, but the derived records are returned again,
// because a crash may have kept the row update and lost the emit. The derived
// records depend on the event alone, never on the state, which is what makes
// emitting them again safe. The function is pure: the same inputs give the
// same outputs, which replay and verify rely on. An event the room's rules
// refuse (see Apply) derives nothing.
func ApplyRoom(s *codec.RoomState, e *codec.Event, offset int64) (*codec.RoomState, []codec.Presence, bool) {
	s, effects, changed, _ := Apply(s, e, offset)
	return s, effects, changed
}

// Apply is ApplyRoom that also returns why the room's rules refuse the
// event (an error wrapping ErrRefused), for the rooms group to send it to
// the dead letters. A refused event derives no presence record, so that a
// join refused adds no session to the users table. A redelivered one is
// not checked again (the row is past it): it derives its records as on its
// first delivery, except that of a join refused then, which it derives
// again; such a join (another producer's, and a crash between the row's
// write and the emit) leaves a session in the users table that the
// re-assertion of its server, if any, removes.
func Apply(s *codec.RoomState, e *codec.Event, offset int64) (*codec.RoomState, []codec.Presence, bool, error) {
	s, changed, refused := FoldRoom(s, e, offset)
	if refused != nil {
		return s, nil, changed, refused
	}
	return s, Derive(e, offset), changed, nil
}

// FoldRoom is Apply without the derived records, for readers that keep
// a room's row themselves (the server's copies of the rooms it serves): the
// same state, at no cost of presence records nobody reads. refused is not
// nil when the room's rules refuse the event at its cursor (see Check):
// then only the row's Cursor and Updated advance, nothing else changes.
// The cursor advances all the same because the server's snapshots rely on
// the row's cursor passing every event of the room, refused or not.
func FoldRoom(s *codec.RoomState, e *codec.Event, offset int64) (st *codec.RoomState, changed bool, refused error) {
	if s == nil {
		s = codec.NewRoomState(e.Room)
	}
	if offset <= s.Cursor {
		return s, false, nil
	}
	if refused = Check(s, e); refused != nil {
		s.Cursor = offset
		s.Updated = e.TS
		return s, true, refused
	}
	if s.Created == "" {
		s.Created = e.TS
	}
	switch e.Type {
	case codec.Join:
		ss := s.Members[e.User]
		if ss == nil {
			ss = map[string]string{}
			s.Members[e.User] = ss
		}
		ss[e.Session] = e.Server
		startReading(s, e.User, offset)
	case codec.Leave, codec.Expire:
		if ss := s.Members[e.User]; ss != nil {
			delete(ss, e.Session)
			if len(ss) == 0 {
				delete(s.Members, e.User)
			}
		}
	case codec.Message:
		s.AddMessage(offset)
		countMessage(s, e, offset)
	case codec.Read:
		moveMarker(s, e)
	case codec.Edit, codec.Delete:
		remention(s, e)
	}
	applyRule(s, e)
	s.Cursor = offset
	s.Updated = e.TS
	return s, true, nil
}

// Derive returns the presence records that the event at offset causes: a
// session added for a join, removed for a leave or expire, and the user seen
// for a message.
func Derive(e *codec.Event, offset int64) []codec.Presence {
	p := codec.Presence{V: codec.Version, User: e.User, Room: e.Room, Session: e.Session, Server: e.Server, Source: offset, TS: e.TS}
	switch e.Type {
	case codec.Join:
		p.Op = codec.AddSession
	case codec.Leave, codec.Expire:
		p.Op = codec.RemoveSession
	case codec.Message:
		p.Op, p.Session, p.Server = codec.Seen, "", ""
	default:
		return nil
	}
	return []codec.Presence{p}
}

// ApplyUser folds one presence record into s and reports whether the row
// changed. s may be nil; ApplyUser takes ownership of it. A record whose
// source cursor is at or below the room's Applied watermark was applied before
// and changes nothing: records of one room arrive in cursor order, because
// the rooms processor emits them in the order of the room's partition.
func ApplyUser(s *codec.UserState, p *codec.Presence) (*codec.UserState, bool) {
	if s == nil {
		s = codec.NewUserState(p.User)
	}
	r := s.Rooms[p.Room]
	if r == nil {
		r = &codec.UserRoom{Applied: -1}
		s.Rooms[p.Room] = r
	}
	if p.Source <= r.Applied {
		return s, false
	}
	switch p.Op {
	case codec.AddSession:
		if r.Sessions == nil {
			r.Sessions = map[string]string{}
		}
		r.Sessions[p.Session] = p.Server
	case codec.RemoveSession:
		delete(r.Sessions, p.Session)
		if len(r.Sessions) == 0 {
			r.Sessions = nil
		}
	}
	r.Applied = p.Source
	if p.TS > s.LastSeen { // the fixed-width UTC format orders as text
		s.LastSeen = p.TS
	}
	return s, true
}
