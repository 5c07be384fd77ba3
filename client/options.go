package client

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Options configure Dial. URL and one of User and Token are required; every
// other field has a default, used when it is the zero value.
type Options struct {
	// URL of the server: its base ("http://localhost:8080") or its WebSocket
	// endpoint ("ws://localhost:8080/ws"). http and https become ws and
	// wss; an empty path becomes /ws.
	URL string
	// User is the user name, for a server without --auth-secret.
	User string
	// Token is a JWT for a server with --auth-secret; the user is then the
	// one the server's hello names.
	Token string
	// Header is sent with every handshake (an Origin, for instance).
	Header http.Header
	// Dialer dials every connection; default a websocket.Dialer with a
	// 10 s handshake timeout and compression off.
	Dialer *websocket.Dialer

	// History is how many messages a join asks for when JoinOptions does
	// not say; default 50, at most 500.
	History int
	// Store keeps the rooms' positions; default a new MemoryStore.
	Store CursorStore
	// Buffer is how many updates a room keeps for its application before
	// it stops taking live events and catches up later by resuming (see
	// the package doc, Backpressure); default 4096.
	Buffer int

	// BackoffMin and BackoffMax bound the wait before a reconnect: it
	// starts at BackoffMin, doubles with each failed attempt up to
	// BackoffMax, and varies by ±20% so that many clients do not return
	// at once. Defaults 250 ms and 5 s. A connection that stayed up for
	// 5 s starts the backoff over.
	BackoffMin, BackoffMax time.Duration
	// PingInterval is how often a ping is sent; default 20 s.
	PingInterval time.Duration
	// StaleTimeout: no frame for this long and the connection is taken as
	// dead and replaced; default 65 s. It must exceed PingInterval.
	StaleTimeout time.Duration
	// WriteTimeout bounds each frame written; default 10 s.
	WriteTimeout time.Duration
	// RequestTimeout bounds a Send, Leave or Join whose context has no
	// deadline; default 30 s.
	RequestTimeout time.Duration

	// OnState is called with every change of the connection state, in
	// order, from a goroutine of the client; a slow OnState delays later
	// calls only. Optional.
	OnState func(State)
	// OnFrame is called with every frame the client does not handle itself
	// (ops such as unread, typing, invited, and errors that answer no
	// request), from the read loop: it must return quickly and must not
	// keep the slice. Optional.
	OnFrame func(op string, frame []byte)
}

// stableAfter is how long a connection must last to start the backoff over.
const stableAfter = 5 * time.Second

// maxText is the longest text Send hands to the server. The server refuses
// more than 4096 bytes after trimming with too_large; a frame over 64 KiB
// would cost the connection, so longer texts are refused here.
const maxText = 60000

func (o Options) withDefaults() (Options, error) {
	if o.URL == "" {
		return o, errors.New("client: Options.URL is required")
	}
	if (o.User == "") == (o.Token == "") {
		return o, errors.New("client: exactly one of Options.User and Options.Token is required")
	}
	if o.Dialer == nil {
		o.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.BackoffMin, 250*time.Millisecond)
	def(&o.BackoffMax, 5*time.Second)
	def(&o.PingInterval, 20*time.Second)
	def(&o.StaleTimeout, 65*time.Second)
	def(&o.WriteTimeout, 10*time.Second)
	def(&o.RequestTimeout, 30*time.Second)
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = o.BackoffMin
	}
	if o.StaleTimeout <= o.PingInterval {
		return o, errors.New("client: Options.StaleTimeout must exceed PingInterval")
	}
	if o.History <= 0 {
		o.History = 50
	}
	if o.Buffer <= 0 {
		o.Buffer = 4096
	}
	if o.Store == nil {
		o.Store = &MemoryStore{}
	}
	return o, nil
}

// endpoint is the WebSocket URL with the identity in its query.
func (o Options) endpoint() (string, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", errors.New("client: Options.URL must be http, https, ws or wss")
	}
	if strings.TrimSuffix(u.Path, "/") == "" {
		u.Path = "/ws"
	}
	q := u.Query()
	q.Del("user")
	q.Del("token")
	if o.Token != "" {
		q.Set("token", o.Token)
	} else {
		q.Set("user", o.User)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// backoff is the wait before reconnect attempt n (0 first).
func (o Options) backoff(n int) time.Duration {
	d := o.BackoffMin
	for i := 0; i < n && d < o.BackoffMax; i++ {
		d *= 2
	}
	d = time.Duration(float64(min(d, o.BackoffMax)) * (0.8 + 0.4*rand.Float64()))
	return min(d, o.BackoffMax)
}
