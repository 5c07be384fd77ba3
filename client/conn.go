package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// conn is one WebSocket connection that said hello. Writes are serialized
// by wmu (a websocket.Conn takes one writer at a time); the read loop is
// the client's run goroutine alone.
type conn struct {
	ws    *websocket.Conn
	hello Hello
	wmu   sync.Mutex
	wait  time.Duration // write timeout
}

// write sends v as one text frame. A failed write closes the connection,
// so that the read loop ends and the client reconnects.
func (cn *conn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	_ = cn.ws.SetWriteDeadline(time.Now().Add(cn.wait))
	if err := cn.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		_ = cn.ws.Close()
		return err
	}
	return nil
}

// close says goodbye with 1000 when it can and closes the socket.
func (cn *conn) close() {
	cn.wmu.Lock()
	_ = cn.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
	cn.wmu.Unlock()
	_ = cn.ws.Close()
}

// dial opens a connection and reads its hello. It returns ctx's error as
// soon as ctx is done, whatever the server does.
func (c *Client) dial(ctx context.Context) (*conn, error) {
	d, release := closedWith(ctx, c.opts.Dialer)
	ws, resp, err := d.DialContext(ctx, c.endpoint, c.opts.Header)
	release()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if resp != nil {
			return nil, handshakeError(resp, err)
		}
		return nil, fmt.Errorf("client: dial: %w", err)
	}
	// A Close while the hello is awaited must not wait for the timeout.
	stop := context.AfterFunc(ctx, func() { _ = ws.Close() })
	defer stop()
	_ = ws.SetReadDeadline(time.Now().Add(c.opts.StaleTimeout))
	_, data, err := ws.ReadMessage()
	if err == nil {
		var f inFrame
		if err = json.Unmarshal(data, &f); err == nil && f.Op != "hello" {
			err = fmt.Errorf("first frame is %q, not hello", f.Op)
		}
		if err == nil {
			return &conn{ws: ws, wait: c.opts.WriteTimeout, hello: Hello{User: f.User, Session: f.Session, Server: f.Server, Epoch: f.Epoch}}, nil
		}
	}
	_ = ws.Close()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, fmt.Errorf("client: hello: %w", err)
}

// closedWith returns a copy of d whose connections are closed when ctx is
// done, until release is called. gorilla's upgrade heeds ctx's deadline but
// not its cancellation: a server that accepts the connection and never
// answers the upgrade would hold a cancelled dial (a Close, a stopped
// command) for the whole handshake timeout.
func closedWith(ctx context.Context, d *websocket.Dialer) (_ *websocket.Dialer, release func()) {
	var (
		mu    sync.Mutex
		stops []func() bool
	)
	wrap := func(dial func(context.Context, string, string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
		return func(dctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := dial(dctx, network, addr)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			stops = append(stops, context.AfterFunc(ctx, func() { _ = nc.Close() }))
			mu.Unlock()
			return nc, nil
		}
	}
	cp := *d
	switch {
	case cp.NetDialContext != nil:
		cp.NetDialContext = wrap(cp.NetDialContext)
	case cp.NetDial != nil:
		netDial := cp.NetDial
		cp.NetDialContext = wrap(func(_ context.Context, network, addr string) (net.Conn, error) { return netDial(network, addr) })
	default:
		// gorilla's own dial.
		cp.NetDialContext = wrap((&net.Dialer{}).DialContext)
	}
	if cp.NetDialTLSContext != nil {
		cp.NetDialTLSContext = wrap(cp.NetDialTLSContext)
	}
	return &cp, func() {
		mu.Lock()
		defer mu.Unlock()
		for _, stop := range stops {
			stop()
		}
	}
}

// handshakeError turns a refused upgrade into the server's *Error when the
// body says one ({"error": {"code", "message"}}).
func handshakeError(resp *http.Response, err error) error {
	defer resp.Body.Close()
	var body struct {
		Error Error `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &body) == nil && body.Error.Code != "" {
		return &body.Error
	}
	return fmt.Errorf("client: dial: %s: %w", resp.Status, err)
}

// run owns the connections: it serves cn, and after each loss waits out
// the backoff, dials again and rejoins every room, until the client closes.
func (c *Client) run(cn *conn) {
	defer c.wg.Done()
	attempt := 0
	for {
		start := time.Now()
		c.serve(cn)
		if !c.lost(cn) {
			return
		}
		if time.Since(start) >= stableAfter {
			attempt = 0
		}
		for {
			t := time.NewTimer(c.opts.backoff(attempt))
			select {
			case <-c.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			attempt++
			var err error
			if cn, err = c.dial(c.ctx); err == nil {
				break
			}
			if c.ctx.Err() != nil {
				return
			}
		}
		if !c.setLive(cn) {
			cn.close()
			return
		}
	}
}

// serve reads cn's frames until it fails, with a keeper goroutine that
// pings; a connection silent for StaleTimeout counts as lost.
func (c *Client) serve(cn *conn) {
	stop := make(chan struct{})
	var keeper sync.WaitGroup
	keeper.Go(func() { c.keep(cn, stop) })
	defer func() {
		close(stop)
		keeper.Wait()
		_ = cn.ws.Close()
	}()
	for {
		_ = cn.ws.SetReadDeadline(time.Now().Add(c.opts.StaleTimeout))
		_, data, err := cn.ws.ReadMessage()
		if err != nil {
			return
		}
		c.handle(cn, data)
	}
}

// keep pings cn every PingInterval until stop, so that a healthy server
// always has something to answer within StaleTimeout, and sends the
// rejoins refused for now on cn once they are due (rejoinDue).
func (c *Client) keep(cn *conn, stop <-chan struct{}) {
	t := time.NewTicker(c.opts.PingInterval)
	defer t.Stop()
	retry := time.NewTimer(0)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := cn.write(roomFrame{Op: "ping"}); err != nil {
				return
			}
			continue
		case <-c.retryWake:
		case <-retry.C:
		}
		if next, ok := c.rejoinDue(cn); ok {
			retry.Reset(time.Until(next))
		}
	}
}

// rejoinDue sends on cn, if it is still the live connection, the rejoins
// refused for now whose backoff has passed, and returns when the next of
// those still waiting is due (false if none is).
func (c *Client) rejoinDue(cn *conn) (next time.Time, ok bool) {
	c.mu.Lock()
	if c.conn != cn {
		c.mu.Unlock()
		return next, false // the next connection joins every stale room
	}
	now := time.Now()
	var joins []joinFrame
	for _, r := range c.rooms {
		if r.ended || r.leaving || !r.stale || r.joinRef != 0 || r.retryAt.IsZero() {
			continue
		}
		if !now.Before(r.retryAt) {
			joins = append(joins, c.joinFrameLocked(r))
		} else if !ok || r.retryAt.Before(next) {
			next, ok = r.retryAt, true
		}
	}
	if len(joins) > 0 {
		c.changedLocked()
	}
	c.mu.Unlock()
	for _, f := range joins {
		if cn.write(f) != nil {
			break // the connection ends; the next one joins them again
		}
	}
	return next, ok
}
