package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chatstate/chatstate/server/web"
	"github.com/chromedp/chromedp"
)

// clientScript drives the chatstate-client module (clients/js, as the
// server serves it to the page) with a scripted WebSocket: a
// first connection with a snapshot, live events (one of them a repeat), an
// acknowledged send, a send without an answer, a send cut off by a close
// with 4009; then the reconnect, whose join resumes from the last cursor
// and whose snapshot repeats an event already seen; then a leave.
const clientScript = `(async () => {
	const { connect } = await import('/static/chatstate-client/index.js');
	const sockets = [];
	class FakeSocket {
		constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this); }
		send(s) { this.sent.push(JSON.parse(s)); }
		close() { this.readyState = 3; }
		open() { this.readyState = 1; }
		recv(f) { this.onmessage({ data: JSON.stringify(f) }); }
		drop(code, reason) { this.readyState = 3; this.onclose({ code, reason }); }
		last(op) { return this.sent.filter((f) => f.op === op).pop(); }
	}
	const tick = (ms) => new Promise((r) => setTimeout(r, ms));
	const msg = (user, session, text) => ({ type: 'message', id: text, room: 'r', user, session, text, ts: '2024-05-01T12:00:00.000Z' });
	const join = (user, session) => ({ type: 'join', id: user + session, room: 'r', user, session, ts: '2024-05-01T12:00:00.000Z' });

	const c = connect({ user: 'alice', WebSocket: FakeSocket, backoffMinMs: 10, backoffMaxMs: 20, ackTimeoutMs: 200 });
	const states = [];
	c.on('state', (s) => states.push(s));
	const disconnects = [];
	c.on('disconnect', (d) => disconnects.push(d.code));
	const ws1 = sockets[0];
	ws1.open();
	ws1.recv({ op: 'hello', user: 'alice', session: 's1', server: 'x', epoch: 'E' });

	const room = c.join('r');
	const seen = [];
	const snapshots = [];
	room.on('snapshot', (s) => {
		snapshots.push({ reset: s.reset, resumed: s.resumed, cursor: s.cursor });
		seen.push(...s.events.map((e) => e.cursor));
	});
	room.on('event', (e) => seen.push(e.cursor));
	const memberLists = [];
	room.on('members', (m) => memberLists.push(m.map((x) => x.user + ':' + x.sessions).join(',')));
	const confirmed = [];
	room.on('confirmed', (x) => confirmed.push(x.text));

	const join1 = ws1.last('join');
	ws1.recv({ op: 'snapshot', ref: join1.ref, room: 'r', cursor: 5, epoch: 'E', members: [{ user: 'alice', sessions: 1 }],
		messages: 1, events: [{ cursor: 3, event: msg('bob', 'b1', 'a') }, { cursor: 5, event: join('alice', 's1') }],
		resumed: false, truncated: false });
	ws1.recv({ op: 'event', room: 'r', cursor: 5, event: join('alice', 's1') });
	ws1.recv({ op: 'event', room: 'r', cursor: 7, event: join('bob', 'b1') });

	const sent = room.send('hi');
	ws1.recv({ op: 'ack', ref: ws1.last('send').ref, room: 'r', cursor: 8 });
	const ack = await sent;
	ws1.recv({ op: 'event', room: 'r', cursor: 8, event: msg('alice', 's1', 'hi') });

	let timeout = '';
	await room.send('lost').catch((e) => { timeout = e.code; });
	ws1.recv({ op: 'event', room: 'r', cursor: 9, event: msg('alice', 's1', 'lost') });

	const cut = room.send('in flight').catch((e) => e.code);
	ws1.drop(4009, 'gap');
	const disconnected = await cut;
	await tick(100);

	const ws2 = sockets[1];
	ws2.open();
	ws2.recv({ op: 'hello', user: 'alice', session: 's2', server: 'x', epoch: 'E' });
	const join2 = ws2.last('join');
	ws2.recv({ op: 'snapshot', ref: join2.ref, room: 'r', cursor: 11, epoch: 'E',
		members: [{ user: 'alice', sessions: 1 }, { user: 'bob', sessions: 1 }], messages: 4,
		events: [{ cursor: 9, event: msg('alice', 's1', 'lost') }, { cursor: 10, event: msg('alice', 's1', 'in flight') },
			{ cursor: 11, event: join('alice', 's2') }],
		resumed: true, truncated: false });
	ws2.recv({ op: 'event', room: 'r', cursor: 11, event: join('alice', 's2') });
	ws2.recv({ op: 'event', room: 'r', cursor: 12, event: msg('bob', 'b1', 'b') });
	const count = room.messageCount;

	const left = room.leave();
	ws2.recv({ op: 'ack', ref: ws2.last('leave').ref, room: 'r', cursor: 13 });
	await left;
	c.close();
	return {
		url: ws1.url, sockets: sockets.length, join1, join2, snapshots, seen, memberLists, ack, timeout, disconnected,
		confirmed, disconnects, states, count, room: room.state, client: c.state,
	};
})()`

// The client module alone, against a scripted WebSocket in the browser: it
// merges snapshots and events without duplicates, resolves a send on its ack
// and rejects one without an answer (confirming it when its event comes),
// reconnects after a close with backoff, resumes with after and epoch, and
// leaves on the ack. The files are served by the handler of the server's
// static files alone, without a chatstate server.
func TestClientModule(t *testing.T) {
	path := chromiumPath(t)
	mux := http.NewServeMux()
	mux.Handle("GET /static/", web.Static())
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	b := startBrowser(t, path)
	p := b.open(t, "client", hs.URL+"/")

	type joinFrame struct {
		Op, Room, Ref, Epoch string
		History              int
		After                *int64
	}
	type report struct {
		URL          string
		Sockets      int
		Join1, Join2 joinFrame
		Snapshots    []struct {
			Reset, Resumed bool
			Cursor         int64
		}
		Seen        []int64
		MemberLists []string
		Ack         struct {
			Ref, Room string
			Cursor    int64
		}
		Timeout      string
		Disconnected string
		Confirmed    []string
		Disconnects  []int
		States       []string
		Count        int
		Room, Client string
	}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](clientScript, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run the client: %v", err)
	}
	var r report
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("the client's report %s: %v", raw, err)
	}

	if !strings.HasPrefix(r.URL, "ws://") || !strings.HasSuffix(r.URL, "/ws?user=alice") || r.Sockets != 2 {
		t.Errorf("sockets: %d, the first to %q; want 2, to ws://HOST/ws?user=alice", r.Sockets, r.URL)
	}
	if r.Join1.Room != "r" || r.Join1.After != nil || r.Join1.History != 50 {
		t.Errorf("first join %+v: want room r, history 50, no after", r.Join1)
	}
	if r.Join2.After == nil || *r.Join2.After != 9 || r.Join2.Epoch != "E" {
		t.Errorf("the rejoin %+v: want after 9 (the last cursor seen) and epoch E", r.Join2)
	}
	if len(r.Snapshots) != 2 || !r.Snapshots[0].Reset || r.Snapshots[1].Reset || !r.Snapshots[1].Resumed || r.Snapshots[1].Cursor != 11 {
		t.Errorf("snapshots %+v: want a reset, then a resumed one at 11", r.Snapshots)
	}
	if want := []int64{3, 5, 7, 8, 9, 10, 11, 12}; !slices.Equal(r.Seen, want) {
		t.Errorf("cursors delivered %v, want each once and in order: %v", r.Seen, want)
	}
	if want := []string{"alice:1", "alice:1,bob:1", "alice:1,bob:1"}; !slices.Equal(r.MemberLists, want) {
		t.Errorf("member lists %q, want %q", r.MemberLists, want)
	}
	if r.Ack.Cursor != 8 || r.Ack.Room != "r" || r.Ack.Ref == "" {
		t.Errorf("the send resolved with %+v, want the ack at cursor 8", r.Ack)
	}
	if r.Timeout != "timeout" || r.Disconnected != "disconnected" {
		t.Errorf("sends without an answer rejected with %q and %q, want timeout and disconnected", r.Timeout, r.Disconnected)
	}
	if want := []string{"lost", "in flight"}; !slices.Equal(r.Confirmed, want) {
		t.Errorf("confirmed %q, want %q: the events of the unanswered sends", r.Confirmed, want)
	}
	if !slices.Equal(r.Disconnects, []int{4009}) {
		t.Errorf("disconnects %v, want [4009]", r.Disconnects)
	}
	if want := []string{"live", "reconnecting", "live", "closed"}; !slices.Equal(r.States, want) {
		t.Errorf("states %q, want %q", r.States, want)
	}
	if r.Count != 5 || r.Room != "left" || r.Client != "closed" {
		t.Errorf("message count %d, room %q, client %q; want 5, left, closed", r.Count, r.Room, r.Client)
	}
}
