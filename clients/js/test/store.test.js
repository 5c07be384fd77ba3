// Room positions kept in a store outlive the client: a new client resumes
// where the last one stopped, and a leave forgets the room.

import test from 'node:test';
import assert from 'node:assert/strict';
import { connect, localStorageStore, memoryStore } from '../src/index.js';
import { defer, increasing, record, startServer, waitFor } from './harness.js';

test('a new client with the store resumes where the last one stopped', { timeout: 120000 }, async (t) => {
  const s = await startServer(t);
  const store = memoryStore();
  const bob = connect({ url: s.ws, user: 'bob' });
  defer(t, () => bob.close());
  const bobRoom = bob.join('kept');
  await waitFor('bob joined', () => bobRoom.state === 'joined');

  const first = connect({ url: s.ws, user: 'alice', store });
  const room1 = first.join('kept');
  const r1 = record(first, room1);
  await bobRoom.send('one');
  await waitFor('alice has one', () => r1.texts().length === 1);
  assert.deepEqual(store.load('kept'), { cursor: room1.cursor, epoch: room1.epoch });
  first.close();
  assert.deepEqual(store.load('kept'), { cursor: room1.cursor, epoch: room1.epoch }, 'close keeps the position');
  const kept = store.load('kept').cursor;

  await bobRoom.send('two');
  const { cursor: last } = await bobRoom.send('three');

  const second = connect({ url: s.ws, user: 'alice', store });
  defer(t, () => second.close());
  const room2 = second.join('kept');
  const r2 = record(second, room2);
  await waitFor('the second client caught up', () => room2.cursor >= last && room2.state === 'joined');
  assert.deepEqual([r2.snapshots[0].reset, r2.snapshots[0].resumed], [false, true]);
  assert.deepEqual(r2.texts(), ['two', 'three']);
  assert.ok(r2.cursors().every((c) => c > kept) && increasing(r2.cursors()));
  assert.deepEqual(store.load('kept'), { cursor: room2.cursor, epoch: room2.epoch });

  await room2.leave();
  assert.equal(store.load('kept'), undefined, 'a leave forgets the room');
});

test('localStorageStore keeps positions under its prefix and survives a broken storage', () => {
  const items = new Map();
  const storage = {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => items.set(k, String(v)),
    removeItem: (k) => items.delete(k),
  };
  const store = localStorageStore({ prefix: 'p:alice:', storage });
  assert.equal(store.load('r'), undefined);
  store.save('r', { cursor: 7, epoch: 'E', extra: 1 });
  assert.deepEqual([...items], [['p:alice:r', '{"cursor":7,"epoch":"E"}']]);
  assert.deepEqual(store.load('r'), { cursor: 7, epoch: 'E' });
  items.set('p:alice:bad', '{"cursor":"x"}');
  assert.equal(store.load('bad'), undefined);
  store.remove('r');
  assert.equal(store.load('r'), undefined);
  const broken = localStorageStore({ storage: { getItem() { throw new Error('denied'); }, setItem() { throw new Error('full'); }, removeItem() { throw new Error('denied'); } } });
  assert.equal(broken.load('r'), undefined);
  broken.save('r', { cursor: 1, epoch: 'E' });
  broken.remove('r');
});
