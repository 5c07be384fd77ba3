// The pure parts of connecting: the WebSocket URL built from the options.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wsURL } from '../src/options.js';

test('wsURL takes a WebSocket URL, or a server base URL, and adds the identity', () => {
  const cases = [
    ['ws://h:8080/ws', { user: 'alice' }, 'ws://h:8080/ws?user=alice'],
    ['http://h:8080', { user: 'alice' }, 'ws://h:8080/ws?user=alice'],
    ['http://h:8080/', { user: 'alice' }, 'ws://h:8080/ws?user=alice'],
    ['https://chat.example/', { token: 't.k.n' }, 'wss://chat.example/ws?token=t.k.n'],
    ['wss://chat.example/chat/ws?user=mallory', { user: 'bob' }, 'wss://chat.example/chat/ws?user=bob'],
    ['ws://h/ws?token=old', { token: 'new' }, 'ws://h/ws?token=new'],
  ];
  for (const [url, identity, want] of cases) {
    assert.equal(wsURL(url, identity), want, `${url} ${JSON.stringify(identity)}`);
  }
});
