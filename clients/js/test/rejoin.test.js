// A rejoin the server refuses for now, against a real `chatstate dev` that
// takes two joins at once and one a second per connection: after a cut,
// the room refused is joined again by itself, on the same connection, and
// resumes like the others.

import test from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../src/index.js';
import { defer, record, startProxy, startServer, waitFor } from './harness.js';

const LIMITED = ['--join-rate', '1', '--join-burst', '2'];

test('a rejoin refused with rate_limited is tried again for its room alone', { timeout: 120000 }, async (t) => {
  const s = await startServer(t, { args: LIMITED });
  const proxy = await startProxy(t, s.httpPort);
  const alice = connect({
    url: proxy.ws, user: 'alice', backoffMinMs: 50, backoffMaxMs: 200, connectTimeoutMs: 2000, joinRetryMs: 300,
  });
  defer(t, () => alice.close());
  const names = ['r1', 'r2', 'r3'];
  const rooms = {};
  for (const name of names) {
    // Past the burst a first join is refused and its room turns left: join
    // again until the server takes one.
    await waitFor(`alice joined ${name}`, () => {
      if (!rooms[name] || rooms[name].state === 'left') rooms[name] = alice.join(name);
      return rooms[name].state === 'joined';
    });
  }
  const recs = names.map((name) => record(alice, rooms[name]));
  const errors = [];
  for (const name of names) rooms[name].on('error', (e) => errors.push(`${name}:${e.code}:${e.retrying}`));

  proxy.cut();
  await waitFor('every room resumed after the cut', () => names.every((name, i) => recs[i].snapshots.length === 1 && rooms[name].state === 'joined'));
  assert.ok(errors.some((e) => e.endsWith(':rate_limited:true')), `join errors after the cut: ${errors}`);
  assert.ok(errors.every((e) => e.endsWith(':true')), `join errors after the cut: ${errors}`);
  for (const [i, name] of names.entries()) {
    const snap = recs[i].snapshots[0];
    assert.deepEqual([name, snap.reset, snap.resumed, snap.gap, snap.truncated], [name, false, true, false, false]);
  }
  assert.equal(recs[0].disconnects.length, 1, `disconnects ${recs[0].disconnects}`);
});
