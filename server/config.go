package server

import (
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/lovoo/goka"
)

// Config configures a Server. Every zero value means the default its comment
// states; New fills them in.
type Config struct {
	// ServerID names this server in the events it writes and its state
	// directory: 1 to MaxServerID letters, digits, '.', '_' or '-'. Zero
	// value means "server".
	ServerID string
	// AuthSecret, when set, makes WebSocket clients prove who they are with
	// ?token=JWT (HS256, sub = user, exp required); ?user= is then refused.
	// Zero value: the identity is taken from ?user=.
	AuthSecret string
	// APIKey enables POST /api/rooms/{room}/messages for clients that send
	// "Authorization: Bearer APIKey". Zero value: the endpoint answers 403.
	APIKey string
	// AllowedOrigins are the origins (scheme://host[:port]) allowed to open a
	// WebSocket from a browser. Zero value means the server's own host only.
	// Requests without an Origin header (non-browser clients) are allowed.
	AllowedOrigins []string
	// MaxFrameBytes is the largest client frame. Zero value means 64 KiB.
	MaxFrameBytes int
	// QueueSize is how many frames may wait for a slow client before it is
	// disconnected with 4008. Zero value means 1024.
	QueueSize int
	// MaxRooms is how many rooms one connection may join. Zero value means 100.
	MaxRooms int
	// MaxConnsPerUser and MaxConnsPerAddr bound the open connections of one
	// user and of one remote address; more are refused with 429. Zero values
	// mean 20 and 200.
	MaxConnsPerUser int
	MaxConnsPerAddr int
	// SendRate and SendBurst limit sends per connection. Zero values mean 10
	// per second with a burst of 20.
	SendRate  float64
	SendBurst int
	// JoinRate and JoinBurst limit joins and leaves (together) per
	// connection; the leaves written when a connection ends are not
	// counted. Zero values mean 10 per second with a burst of 100, so that a
	// client that reconnects can join again its MaxRooms rooms at once.
	JoinRate  float64
	JoinBurst int
	// QueueBytes bounds the bytes of the frames waiting for a slow client,
	// answers to its requests included; a client over it is disconnected
	// with 4008. Below the bound a frame is taken whatever its size, so
	// that a join's snapshot with its history always fits. Zero value means
	// 1 MiB.
	QueueBytes int
	// SessionTTL bounds how long the sessions of a server that died without
	// a goodbye stay in rooms; the server beats every SessionTTL/3. At least
	// MinSessionTTL; zero value means 30 seconds.
	SessionTTL time.Duration
	// PingInterval is how often the server pings each connection; one that
	// does not answer within another interval is dropped. Zero value means
	// 25 seconds.
	PingInterval time.Duration
	// WriteTimeout bounds each socket write and each write to Kafka: a
	// request's (answered unavailable past it), an expiry's, a try of the
	// owed leaves, and the goodbye's writes together. A batch of frames
	// to a client that does not read fails after one to one and a half
	// WriteTimeouts (the socket's deadline is moved once per half timeout,
	// not per batch). Zero value means 10 seconds.
	WriteTimeout time.Duration
	// PresenceDelay bounds how long the event of another session's join,
	// leave or expiry may wait for more frames to the same connection
	// before it is written (transport.Conn.EnqueueLater): where members of
	// large rooms come and go, a member gets such an event every few tens
	// of milliseconds, and a write for each was most of what a join cost.
	// Messages, and every answer to the session's own requests, are
	// written at once and take what waits along; events keep their order.
	// Zero value: nothing waits. At most MaxPresenceDelay.
	PresenceDelay time.Duration
	// ReadTimeout bounds each Kafka read made for a request (history, resume,
	// the events API) and for the check of an invite to a room this server
	// keeps no copy of. Zero value means 10 seconds.
	ReadTimeout time.Duration
	// Logger receives the server's logs. Zero value means slog.Default().
	Logger *slog.Logger
	// GokaLogger receives the logs of the server's goka views. Zero value
	// means goka's default logger (standard error).
	GokaLogger goka.Logger
}

func (c Config) withDefaults() Config {
	if c.ServerID == "" {
		c.ServerID = "server"
	}
	if c.MaxFrameBytes == 0 {
		c.MaxFrameBytes = 64 << 10
	}
	if c.QueueSize == 0 {
		c.QueueSize = 1024
	}
	if c.MaxRooms == 0 {
		c.MaxRooms = 100
	}
	if c.MaxConnsPerUser == 0 {
		c.MaxConnsPerUser = 20
	}
	if c.MaxConnsPerAddr == 0 {
		c.MaxConnsPerAddr = 200
	}
	if c.SendRate == 0 {
		c.SendRate = 10
	}
	if c.SendBurst == 0 {
		c.SendBurst = 20
	}
	if c.JoinRate == 0 {
		c.JoinRate = 10
	}
	if c.JoinBurst == 0 {
		c.JoinBurst = 100
	}
	if c.QueueBytes == 0 {
		c.QueueBytes = 1 << 20
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = 30 * time.Second
	}
	if c.PingInterval == 0 {
		c.PingInterval = 25 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// MaxServerID is the longest ServerID: the id of an instance of the server
// (ServerID, "/", eight characters) must fit the 64 bytes of an event's
// server field.
const MaxServerID = 55

// MinSessionTTL is the shortest SessionTTL. Sessions are swept once a
// second; a shorter TTL would expire the sessions of live servers whose
// beat is a moment late.
const MinSessionTTL = time.Second

// MaxPresenceDelay is the longest PresenceDelay: a join told a second late
// is as late as a member list may be.
const MaxPresenceDelay = time.Second

// ConfigError is the error of Validate: the field of Config that is wrong,
// what it must be, and what it is.
type ConfigError struct {
	Field string // the name of the field in Config, such as "QueueSize"
	Want  string // what it must be, such as "positive"
	Got   string // its value, formatted
}

// Error names the field, what it must be and what it is.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("server: %s must be %s, got %s", e.Field, e.Want, e.Got)
}

// Validate reports, as a *ConfigError, the first field of c that no server
// can run with, once the zero values are replaced by their defaults:
//   - ServerID of 1 to MaxServerID letters, digits, '.', '_' or '-';
//   - each AllowedOrigins "*" or scheme://host[:port];
//   - MaxFrameBytes, QueueSize, QueueBytes, MaxRooms, MaxConnsPerUser,
//     MaxConnsPerAddr, SendBurst and JoinBurst positive, SendRate and
//     JoinRate positive and finite;
//   - PingInterval, WriteTimeout and ReadTimeout positive, SessionTTL at
//     least MinSessionTTL, PresenceDelay from 0 to MaxPresenceDelay.
//
// Negative values are never defaults. New calls Validate; a command line
// calls it too, to refuse a configuration before anything starts.
func (c Config) Validate() error {
	c = c.withDefaults()
	if len(c.ServerID) > MaxServerID || strings.Trim(c.ServerID, idChars) != "" {
		return &ConfigError{"ServerID", fmt.Sprintf("1 to %d letters, digits, '.', '_' or '-'", MaxServerID), fmt.Sprintf("%q", c.ServerID)}
	}
	for _, o := range c.AllowedOrigins {
		if u, err := url.Parse(o); o != "*" && (err != nil || u.Scheme == "" || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "") {
			return &ConfigError{"AllowedOrigins", `"*" or scheme://host[:port]`, fmt.Sprintf("%q", o)}
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"MaxFrameBytes", c.MaxFrameBytes}, {"QueueSize", c.QueueSize}, {"MaxRooms", c.MaxRooms},
		{"MaxConnsPerUser", c.MaxConnsPerUser}, {"MaxConnsPerAddr", c.MaxConnsPerAddr}, {"SendBurst", c.SendBurst},
		{"QueueBytes", c.QueueBytes}, {"JoinBurst", c.JoinBurst},
	} {
		if f.v <= 0 {
			return &ConfigError{f.name, "positive", fmt.Sprint(f.v)}
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"SendRate", c.SendRate}, {"JoinRate", c.JoinRate}} {
		if !(f.v > 0) || math.IsInf(f.v, 0) {
			return &ConfigError{f.name, "positive and finite", fmt.Sprint(f.v)}
		}
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"PingInterval", c.PingInterval}, {"WriteTimeout", c.WriteTimeout}, {"ReadTimeout", c.ReadTimeout}} {
		if f.v <= 0 {
			return &ConfigError{f.name, "positive", f.v.String()}
		}
	}
	if c.SessionTTL < MinSessionTTL {
		return &ConfigError{"SessionTTL", "at least " + MinSessionTTL.String(), c.SessionTTL.String()}
	}
	if c.PresenceDelay < 0 || c.PresenceDelay > MaxPresenceDelay {
		return &ConfigError{"PresenceDelay", "from 0 to " + MaxPresenceDelay.String(), c.PresenceDelay.String()}
	}
	return nil
}

// idChars are the bytes of a ServerID.
const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
