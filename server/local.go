package server

import (
	"slices"
	"sync"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/protocol"
)

// localUsers indexes the server's connections by user, for the frames that
// go to every session of a user whatever rooms it joined: invited. Its own
// lock, never held while calling out but to enqueue a frame (which does
// not block), lets the hub call it under its locks.
//
// A user's sessions are a slice rather than a set: most users hold one or
// a few (at most MaxConnsPerUser), and a slice of one costs a word where
// a map costs a few hundred bytes per user.
type localUsers struct {
	mu    sync.Mutex
	conns map[string][]*conn
}

func newLocalUsers() *localUsers { return &localUsers{conns: map[string][]*conn{}} }

func (l *localUsers) add(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns[c.User()] = append(l.conns[c.User()], c)
}

func (l *localUsers) remove(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	set := l.conns[c.User()]
	i := slices.Index(set, c)
	if i < 0 {
		return
	}
	if len(set) == 1 {
		delete(l.conns, c.User())
		return
	}
	l.conns[c.User()] = slices.Delete(set, i, i+1)
}

// send queues frame to every connection of user here.
func (l *localUsers) send(user string, frame []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns[user] {
		c.Enqueue(frame)
	}
}

// invited tells the invited user's sessions on this server of an invite
// the tail dispatched (an invite, or the one that opens a direct room).
// Every server's tail reads every invite, so each tells its own sessions.
func (s *Server) invited(e *codec.Event) {
	s.local.send(e.Target, protocol.MustJSON(protocol.InvitedFrame{Op: "invited", Room: e.Room, By: e.User}))
}
