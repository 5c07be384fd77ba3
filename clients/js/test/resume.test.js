// The client against a real `chatstate dev`: a room's events reach the
// application once each and in order across cut connections and a server
// restart, a resume cut by the server's cap says so, and a new log starts
// the room afresh.

import test from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../src/index.js';
import {
  defer, increasing, logEvents, record, restartServer, startProxy, startServer, tempDir, waitFor,
} from './harness.js';

// Sends as fast as the tests ask: the default rate limit would only slow them.
const FAST = ['--send-rate', '100000', '--send-burst', '100000'];
// Reconnect at once: the tests wait on conditions, not on the backoff.
const QUICK = { backoffMinMs: 50, backoffMaxMs: 200, connectTimeoutMs: 2000 };

function client(t, url, user, opts = {}) {
  const c = connect({ url, user, ...QUICK, ...opts });
  defer(t, () => c.close());
  return c;
}

async function joined(c, name) {
  const room = c.join(name);
  const r = record(c, room);
  await waitFor(`${c.user} joined ${name}`, () => room.state === 'joined');
  return { room, r };
}

test('a cut connection resumes without gaps or duplicates while another client sends', { timeout: 120000 }, async (t) => {
  const s = await startServer(t, { args: FAST });
  const proxy = await startProxy(t, s.httpPort);
  const alice = client(t, proxy.ws, 'alice');
  const { room, r } = await joined(alice, 'cuts');
  const first = r.snapshots[0].cursor;
  const bob = client(t, s.ws, 'bob');
  const { room: bobRoom } = await joined(bob, 'cuts');

  // Bob sends all along; alice's connection is cut twice meanwhile, each
  // time once she has received more of his messages.
  const sent = [];
  let last = -1;
  let done = false;
  const sending = (async () => {
    for (let i = 0; !done; i++) {
      last = (await bobRoom.send(`m${i}`)).cursor;
      sent.push(`m${i}`);
    }
  })();
  for (let cut = 1; cut <= 2; cut++) {
    const seen = r.texts().length;
    await waitFor(`alice receives while bob sends (${cut})`, () => r.texts().length >= seen + 10);
    proxy.cut();
    await waitFor(`alice resumed (${cut})`, () => r.snapshots.length === cut + 1 && room.state === 'joined');
  }
  await waitFor('alice receives live events after the second resume', () => r.entries.at(-1).cursor > r.snapshots[2].cursor);
  done = true;
  await sending;
  assert.ok(sent.length > 20);
  await waitFor('alice has every message', () => room.cursor >= last && room.state === 'joined');

  assert.deepEqual(r.disconnects.length, 2, `disconnects ${r.disconnects}`);
  assert.deepEqual(r.texts(), sent);
  assert.ok(increasing(r.cursors()), `cursors not strictly increasing: ${r.cursors()}`);
  assert.equal(r.snapshots.length, 3);
  assert.equal(r.snapshots[0].reset, true);
  for (const snap of r.snapshots.slice(1)) {
    assert.deepEqual([snap.reset, snap.resumed, snap.gap, snap.truncated], [false, true, false, false]);
  }
  // Everything the log holds after the first snapshot, joins and leaves of
  // alice's three sessions included, exactly once and in order.
  const log = await logEvents(s, 'cuts', first, room.cursor);
  assert.deepEqual(r.cursors().filter((c) => c > first), log.map((e) => e.cursor));
  assert.deepEqual(r.entries.filter((e) => e.cursor > first).map((e) => e.event.id), log.map((e) => e.event.id));
});

test('a server restart on the same data resumes every room', { timeout: 120000 }, async (t) => {
  let s = await startServer(t, { args: FAST });
  const alice = client(t, s.ws, 'alice');
  const { room, r } = await joined(alice, 'restart');
  const bob = client(t, s.ws, 'bob');
  const { room: bobRoom } = await joined(bob, 'restart');
  const sent = [];
  for (let i = 0; i < 5; i++) {
    await bobRoom.send(`before ${i}`);
    sent.push(`before ${i}`);
  }
  const epoch = room.epoch;
  s = await restartServer(t, s);
  // Bob's client rejoins by itself too.
  await waitFor('bob back in the room', () => bob.live && bobRoom.state === 'joined');
  let last = -1;
  for (let i = 0; i < 5; i++) {
    last = (await bobRoom.send(`after ${i}`)).cursor;
    sent.push(`after ${i}`);
  }
  await waitFor('alice has every message', () => room.cursor >= last && room.state === 'joined');

  assert.ok(r.disconnects.includes(1001), `disconnects ${r.disconnects}, want 1001 (the server shut down)`);
  assert.deepEqual(r.texts(), sent);
  assert.ok(increasing(r.cursors()), `cursors not strictly increasing: ${r.cursors()}`);
  assert.equal(r.snapshots.length, 2);
  assert.deepEqual([r.snapshots[1].reset, r.snapshots[1].resumed, r.snapshots[1].gap], [false, true, false]);
  assert.equal(room.epoch, epoch);
  const log = await logEvents(s, 'restart', r.snapshots[0].cursor, room.cursor);
  assert.deepEqual(r.cursors().filter((c) => c > r.snapshots[0].cursor), log.map((e) => e.cursor));
});

test('a resume over the server cap hands on the newest 1000 events and says truncated', { timeout: 180000 }, async (t) => {
  const s = await startServer(t, { args: FAST });
  const proxy = await startProxy(t, s.httpPort);
  const alice = client(t, proxy.ws, 'alice');
  const { room, r } = await joined(alice, 'flood');
  const bob = client(t, s.ws, 'bob');
  const { room: bobRoom } = await joined(bob, 'flood');
  for (const text of ['a', 'b', 'c']) await bobRoom.send(text);
  await waitFor('alice has a, b, c', () => r.texts().length === 3);
  const before = room.cursor;

  proxy.down();
  await waitFor('alice offline', () => alice.state === 'reconnecting');
  // More than the server keeps in memory per room (1024 events) too, so the
  // answer comes from the log.
  const flood = [];
  for (let i = 0; i < 1100; i += 100) {
    const batch = [];
    for (let j = i; j < i + 100; j++) {
      flood.push(`f${j}`);
      batch.push(bobRoom.send(`f${j}`));
    }
    await Promise.all(batch);
  }
  proxy.up();
  await waitFor('alice resumed', () => r.snapshots.length === 2);
  const snap = r.snapshots[1];
  assert.deepEqual([snap.reset, snap.resumed, snap.gap, snap.truncated], [false, false, true, true]);
  assert.equal(room.truncated, true);
  assert.equal(snap.events.length, 1000);
  const log = await logEvents(s, 'flood', before, snap.cursor);
  assert.ok(log.length > 1000);
  assert.deepEqual(snap.events.map((e) => e.cursor), log.slice(-1000).map((e) => e.cursor));
  const texts = r.texts();
  assert.deepEqual(texts.slice(0, 3), ['a', 'b', 'c']);
  const resumedTexts = texts.slice(3);
  assert.deepEqual(resumedTexts, flood.slice(flood.length - resumedTexts.length), 'the newest messages, in order');

  // The live stream goes on from there without a gap.
  const { cursor } = await bobRoom.send('after the flood');
  await waitFor('alice has the next message', () => room.cursor >= cursor);
  assert.deepEqual(r.entries.at(-1).event.text, 'after the flood');
  assert.ok(increasing(r.cursors()));
});

test('a new log (another epoch) gives fresh history, not a resume', { timeout: 120000 }, async (t) => {
  let s = await startServer(t, { args: FAST });
  const proxy = await startProxy(t, s.httpPort);
  const alice = client(t, proxy.ws, 'alice');
  const { room, r } = await joined(alice, 'epochs');
  const bob = client(t, s.ws, 'bob');
  const { room: bobRoom } = await joined(bob, 'epochs');
  for (const text of ['old 1', 'old 2', 'old 3', 'old 4']) await bobRoom.send(text);
  await waitFor('alice has the old messages', () => r.texts().length === 4);
  const oldEpoch = room.epoch;
  const oldCursor = room.cursor;

  proxy.down();
  bob.close();
  // Same ports, a new data directory: a new log whose cursors start over.
  s = await restartServer(t, s, tempDir(t, 'chatstate-data-'));
  const carol = client(t, s.ws, 'carol');
  const { room: carolRoom } = await joined(carol, 'epochs');
  const newCursors = [];
  for (const text of ['new 1', 'new 2']) newCursors.push((await carolRoom.send(text)).cursor);
  assert.ok(newCursors[1] <= oldCursor, 'the new log reuses cursors alice has seen');
  proxy.up();
  await waitFor('alice rejoined', () => r.snapshots.length === 2 && room.state === 'joined');

  const snap = r.snapshots[1];
  assert.equal(snap.reset, true);
  assert.equal(snap.resumed, false);
  assert.notEqual(snap.epoch, oldEpoch);
  assert.equal(room.epoch, alice.epoch);
  assert.deepEqual(snap.events.map((e) => e.event.text), ['new 1', 'new 2']);
  assert.deepEqual(snap.events.map((e) => e.cursor), newCursors);
  assert.deepEqual(r.texts(), ['new 1', 'new 2']);
});

test('a send without an answer rejects with timeout, then its event confirms it', { timeout: 120000 }, async (t) => {
  const s = await startServer(t);
  const alice = client(t, s.ws, 'alice', { ackTimeoutMs: 500 });
  const { room, r } = await joined(alice, 'paused');
  let resumed = false;
  defer(t, () => { if (!resumed) s.resume(); });
  await s.pause();
  const started = Date.now();
  const err = await room.send('while paused').then(() => null, (e) => e);
  assert.ok(err, 'the send resolved while the server was stopped');
  assert.equal(err.code, 'timeout');
  assert.ok(Date.now() - started >= 450, 'rejected before the timeout');
  s.resume();
  resumed = true;
  await waitFor('the send confirmed', () => r.confirmed.length === 1);
  assert.equal(r.confirmed[0].ref, err.ref);
  assert.equal(r.confirmed[0].text, 'while paused');
  assert.deepEqual(r.texts(), ['while paused']);
  assert.equal(r.entries.at(-1).cursor, r.confirmed[0].cursor);
  assert.deepEqual(r.disconnects, []);
});
