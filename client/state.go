package client

import "sync"

// State is the state of a client's connection.
type State int

// The states, in the order a client goes through them. A client is
// Connecting only inside Dial, Live while a connection has said hello,
// Reconnecting between a lost connection and the next hello, and Closed
// for good after Close.
const (
	Connecting State = iota
	Live
	Reconnecting
	Closed
)

func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Live:
		return "live"
	case Reconnecting:
		return "reconnecting"
	case Closed:
		return "closed"
	}
	return "unknown"
}

// notifier hands state changes to OnState in order from its own goroutine,
// so that the read loop never waits for the application.
type notifier struct {
	fn      func(State)
	mu      sync.Mutex
	pending []State
	wake    chan struct{}
	done    chan struct{} // closed when run returned
}

func newNotifier(fn func(State)) *notifier {
	n := &notifier{fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go n.run()
	return n
}

func (n *notifier) push(s State) {
	n.mu.Lock()
	n.pending = append(n.pending, s)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// run calls fn for every state pushed, and returns after Closed.
func (n *notifier) run() {
	defer close(n.done)
	for range n.wake {
		n.mu.Lock()
		batch := n.pending
		n.pending = nil
		n.mu.Unlock()
		for _, s := range batch {
			if n.fn != nil {
				n.fn(s)
			}
			if s == Closed {
				return
			}
		}
	}
}
