package server

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/chatstate/chatstate/server/fanout"
)

// localUsers indexes the server's connections by user, for the frames that
// go to every session of a user whatever rooms it joined: invited, and
// unread for the sessions that did not join the room (fanout.Locals). Its own
// lock, never held while calling out but to enqueue a frame (which does
// not block), lets the hub call it under its locks.
//
// A user's sessions are a slice rather than a set: most users hold one or
// a few (at most MaxConnsPerUser), and a slice of one costs a word where
// a map costs a few hundred bytes per user.
type localUsers struct {
	mu    sync.Mutex
	conns map[string][]*conn
	gen   atomic.Uint64 // moved, under mu, after every add and remove
}

func newLocalUsers() *localUsers { return &localUsers{conns: map[string][]*conn{}} }

func (l *localUsers) add(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns[c.User()] = append(l.conns[c.User()], c)
	l.gen.Add(1)
}

func (l *localUsers) remove(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	set := l.conns[c.User()]
	i := slices.Index(set, c)
	if i < 0 {
		return
	}
	l.gen.Add(1)
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
	l.Send(user, func(fanout.Subscriber) bool { return false }, frame)
}

// Generation changes whenever a connection is added or removed
// (fanout.Locals).
func (l *localUsers) Generation() uint64 { return l.gen.Load() }

// Outside reports whether user has a connection here for which subscribed
// is false (fanout.Locals).
func (l *localUsers) Outside(user string, subscribed func(fanout.Subscriber) bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.ContainsFunc(l.conns[user], func(c *conn) bool { return !subscribed(c) })
}

// Send queues frame to each connection of user for which subscribed is
// false (fanout.Locals): the unread frames of the rooms it did not join.
func (l *localUsers) Send(user string, subscribed func(fanout.Subscriber) bool, frame []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns[user] {
		if !subscribed(c) {
			c.Enqueue(frame)
		}
	}
}
