// Frames of ops the client does not know pass through to the application,
// on the client and on their room, and a request settles with the frame
// that carries its ref. A scripted socket stands in for the server: the ops
// it sends here (unread, typing, invited) are in the contract but not yet in
// every server.

import test from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../src/index.js';

class FakeSocket {
  static last = null;
  constructor(url) { this.url = url; this.readyState = 1; this.sent = []; FakeSocket.last = this; }
  send(s) { this.sent.push(JSON.parse(s)); }
  close() { this.readyState = 3; }
  recv(f) { this.onmessage({ data: JSON.stringify(f) }); }
  lastSent(op) { return this.sent.filter((f) => f.op === op).pop(); }
}

test('unknown frames pass through; request settles on its ref', async () => {
  const c = connect({ url: 'ws://example.test/ws', user: 'alice', WebSocket: FakeSocket });
  try {
    const ws = FakeSocket.last;
    assert.equal(ws.url, 'ws://example.test/ws?user=alice');
    ws.recv({ op: 'hello', user: 'alice', session: 's1', server: 'x', epoch: 'E' });
    const room = c.join('r');
    ws.recv({ op: 'snapshot', ref: ws.lastSent('join').ref, room: 'r', cursor: 4, epoch: 'E', members: [], messages: 0, events: [] });
    const got = { client: [], frame: [], unread: [], typing: [] };
    c.on('frame', (f) => got.client.push(f.op));
    room.on('frame', (f) => got.frame.push(f.op));
    room.on('unread', (f) => got.unread.push([f.count, f.mentions, f.cursor]));
    room.on('typing', (f) => got.typing.push(f.user));
    ws.recv({ op: 'unread', room: 'r', count: 3, mentions: 1, cursor: 4 });
    ws.recv({ op: 'typing', room: 'r', user: 'bob' });
    ws.recv({ op: 'invited', room: 'other', by: 'bob' });
    ws.recv({ op: 'typing', room: 'other', user: 'bob' });
    assert.deepEqual(got, {
      client: ['unread', 'typing', 'invited', 'typing'],
      frame: ['unread', 'typing'],
      unread: [[3, 1, 4]],
      typing: ['bob'],
    });

    const read = room.request('read', { cursor: 4 });
    const sent = ws.lastSent('read');
    assert.deepEqual({ ...sent, ref: '' }, { op: 'read', room: 'r', cursor: 4, ref: '' });
    ws.recv({ op: 'ack', ref: sent.ref, room: 'r', cursor: 5 });
    assert.deepEqual(await read, { op: 'ack', ref: sent.ref, room: 'r', cursor: 5 });

    const edit = room.request('edit', { id: 'nosuch', text: 'x' });
    ws.recv({ op: 'error', ref: ws.lastSent('edit').ref, code: 'not_found', message: 'no such message' });
    await assert.rejects(edit, { name: 'ChatError', code: 'not_found', detail: 'no such message' });

    const lost = c.request('react', { room: 'r', id: 'm', emoji: 'x', on: true }, { timeoutMs: 20 });
    await assert.rejects(lost, { code: 'timeout' });
  } finally {
    c.close();
  }
  assert.equal(c.state, 'closed');
  await assert.rejects(c.request('ping'), { code: 'offline' });
});
