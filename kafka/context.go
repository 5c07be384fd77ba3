package kafka

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
)

// WithContext returns c with its connections tied to ctx: once ctx is done,
// every connection that a client made from the returned Config opened is
// closed, and no new one is opened (the dial fails with ctx's cause).
//
// sarama's calls take no context: a client set-up, a metadata or an admin
// request, a fetch waits on the broker for its read timeout (30 s by
// default), retried, however long ago the command was told to stop.
// Closing the connections under it is what makes such a call return at
// once, with an error, for sarama, goka (made from c's sarama configs) and
// kgo alike. Meant for a command that runs once and whose stop needs no
// last word to the brokers; a worker that writes goodbyes on its way out
// must not use it.
func (c Config) WithContext(ctx context.Context) Config {
	dial := c.Dial
	if dial == nil {
		// What sarama's and kgo's own dialers do, bar the timeout, which
		// each client puts in the context it dials with.
		dial = (&net.Dialer{}).DialContext
	}
	c.Dial = func(dctx context.Context, network, addr string) (net.Conn, error) {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("kafka: dial %s: %w", addr, context.Cause(ctx))
		}
		dctx, cancel := context.WithCancelCause(dctx)
		defer cancel(nil)
		stopDial := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
		defer stopDial()
		conn, err := dial(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		cc := &ctxConn{Conn: conn}
		cc.stop = context.AfterFunc(ctx, func() { _ = conn.Close() })
		return cc, nil
	}
	return c
}

// ctxConn is a connection that WithContext closes when its context is done.
type ctxConn struct {
	net.Conn
	stop func() bool // unregisters the close on ctx; idempotent
}

// Close closes the connection and forgets it: a client that closes its
// connections leaves nothing for the context to close.
func (c *ctxConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

// tlsDial returns dial followed by a TLS handshake as cfg says, with the
// server name taken from the address when cfg names none, as kgo's own TLS
// dialing does: kgo takes either a Dialer or a TLS config, not both.
func tlsDial(dial func(ctx context.Context, network, addr string) (net.Conn, error), cfg *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := cfg.Clone()
		if tc.ServerName == "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				_ = raw.Close()
				return nil, fmt.Errorf("kafka: dial %s: %w", addr, err)
			}
			tc.ServerName = host
		}
		conn := tls.Client(raw, tc)
		if err := conn.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		return conn, nil
	}
}
