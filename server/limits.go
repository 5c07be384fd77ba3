package server

import (
	"github.com/chatstate/chatstate/server/protocol"
	"net"
	"net/http"
	"sync"
)

// connLimits counts open connections per user and per remote address.
// Its methods are safe for concurrent use.
type connLimits struct {
	mu     sync.Mutex
	byUser map[string]int
	byAddr map[string]int
}

// remoteHost is the address part of the request's peer; a proxy in front
// must pass real addresses some other way, which chatstate does not trust.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// acquire counts one more connection of user from addr, or refuses it with
// an error if either limit is reached. A nil error must be paired with one
// release.
func (l *connLimits) acquire(user, addr string, perUser, perAddr int) *protocol.Error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byUser == nil {
		l.byUser, l.byAddr = map[string]int{}, map[string]int{}
	}
	if l.byUser[user] >= perUser {
		return protocol.Errorf(protocol.CodeRateLimited, "too many connections of user %s (at most %d)", user, perUser)
	}
	if l.byAddr[addr] >= perAddr {
		return protocol.Errorf(protocol.CodeRateLimited, "too many connections from this address (at most %d)", perAddr)
	}
	l.byUser[user]++
	l.byAddr[addr]++
	return nil
}

func (l *connLimits) release(user, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byUser[user]--; l.byUser[user] <= 0 {
		delete(l.byUser, user)
	}
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
}
