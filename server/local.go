package server

import (
	"sync"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/protocol"
)

// localUsers indexes the server's connections by user, for the frames that
// go to every session of a user whatever rooms it joined: invited. Its own
// lock, never held while calling out but to enqueue a frame (which does
// not block), lets the hub call it under its locks.
type localUsers struct {
	mu    sync.Mutex
	conns map[string]map[*conn]struct{}
}

func newLocalUsers() *localUsers { return &localUsers{conns: map[string]map[*conn]struct{}{}} }

func (l *localUsers) add(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	set := l.conns[c.User()]
	if set == nil {
		set = map[*conn]struct{}{}
		l.conns[c.User()] = set
	}
	set[c] = struct{}{}
}

func (l *localUsers) remove(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if set := l.conns[c.User()]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(l.conns, c.User())
		}
	}
}

// send queues frame to every connection of user here.
func (l *localUsers) send(user string, frame []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns[user] {
		c.Enqueue(frame)
	}
}

// invited tells the invited user's sessions on this server of an invite
// the tail dispatched (an invite, or the one that opens a direct room).
// Every server's tail reads every invite, so each tells its own sessions.
func (s *Server) invited(e *codec.Event) {
	s.local.send(e.Target, protocol.MustJSON(protocol.InvitedFrame{Op: "invited", Room: e.Room, By: e.User}))
}
