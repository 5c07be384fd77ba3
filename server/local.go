package server

import (
	"slices"
	"sync"
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

// has reports whether user holds a connection here.
func (l *localUsers) has(user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns[user]) > 0
}

// send queues frame to every connection of user here.
func (l *localUsers) send(user string, frame []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns[user] {
		c.Enqueue(frame)
	}
}
