package client

import "sync"

// Position is where an application is in a room's log: the cursor of the
// last event handed to it, in the log of Epoch.
type Position struct {
	Epoch  string
	Cursor int64
}

// CursorStore keeps rooms' positions so that a program that restarts
// resumes where it was instead of starting with fresh history. The client
// calls Load when a room is joined with Join, Save after it handed an
// update of the room to the application, and Delete once the room is left.
// Calls come from several goroutines, one room at a time; Save is called
// often and should be cheap (batch writes to disk if need be). A store that
// fails should log and go on: a lost Save costs a replay of some events, a
// lost Load fresh history.
type CursorStore interface {
	Load(room string) (Position, bool)
	Save(room string, p Position)
	Delete(room string)
}

// MemoryStore is a CursorStore in memory, the default: positions live as
// long as the process. One may be shared by several clients of the same
// user. The zero value is ready to use.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]Position
}

// Load returns the position saved for room.
func (s *MemoryStore) Load(room string) (Position, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.m[room]
	return p, ok
}

// Save keeps p for room.
func (s *MemoryStore) Save(room string, p Position) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]Position)
	}
	s.m[room] = p
}

// Delete forgets room.
func (s *MemoryStore) Delete(room string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, room)
}
