// Read state and the message lifecycle against a real `chatstate dev`: the
// unread counts of a room after a join and after another member's message,
// a read in one client of a user that clears them in the user's other
// client, and edit, delete and react with their acks, their events, their
// errors and the state a later join's history shows.

import test from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../src/index.js';
import { defer, record, startServer, waitFor } from './harness.js';

// Sends as fast as the tests ask: the default rate limit would only slow them.
const FAST = ['--send-rate', '100000', '--send-burst', '100000'];

function client(t, url, user) {
  const c = connect({ url, user, backoffMinMs: 50, backoffMaxMs: 200 });
  defer(t, () => c.close());
  return c;
}

/** Joins name and records what the room hands on, with its unread frames. */
async function joined(c, name) {
  const room = c.join(name);
  const r = record(c, room);
  r.unread = [];
  room.on('unread', (u) => r.unread.push(u));
  await waitFor(`${c.user} joined ${name}`, () => room.state === 'joined');
  return { room, r };
}

/** The entry of the room's own join event of c's session. */
const ownJoin = (c, r) => r.entries.find((e) => e.event.type === 'join' && e.event.session === c.session);

/** The live entry of a message with text. */
const messageOf = (r, text) => r.entries.find((e) => e.event.type === 'message' && e.event.text === text);

test('unread counts after a join and a message; a read in one client clears them in the other', { timeout: 120000 }, async (t) => {
  const s = await startServer(t, { args: FAST });
  const tab1 = client(t, s.ws, 'alice');
  const a1 = await joined(tab1, 'reads');
  const j1 = await waitFor('the join event of tab1', () => ownJoin(tab1, a1.r));
  // The first join: nothing is unread, the marker at the join.
  await waitFor('the unread after the first join', () => a1.room.unread);
  assert.deepEqual(a1.r.unread, [{ room: 'reads', count: 0, mentions: 0, cursor: j1.cursor }]);
  assert.deepEqual(a1.room.unread, { count: 0, mentions: 0, cursor: j1.cursor });

  const tab2 = client(t, s.ws, 'alice');
  const a2 = await joined(tab2, 'reads');
  await waitFor('the unread after the second join', () => a2.room.unread);
  assert.deepEqual(a2.room.unread, { count: 0, mentions: 0, cursor: j1.cursor });

  const bob = client(t, s.ws, 'bob');
  const b = await joined(bob, 'reads');
  await waitFor('bob told his unread', () => b.room.unread);
  const n1 = a1.r.unread.length;
  const n2 = a2.r.unread.length;
  await b.room.send('hi @alice');
  const last = await b.room.send('how are you');

  // Both clients of alice count both messages, one of them a mention.
  for (const [name, a, n] of [['tab1', a1, n1], ['tab2', a2, n2]]) {
    await waitFor(`${name} counts two`, () => a.room.unread.count === 2);
    assert.deepEqual(a.r.unread.slice(n).map((u) => [u.count, u.mentions, u.cursor]),
      [[1, 1, j1.cursor], [2, 1, j1.cursor]], name);
  }
  assert.deepEqual(b.room.unread.count, 0, 'bob\'s own messages are no unread of his');

  // tab2 reads to the last message: its read event comes back to alice's
  // clients, and tab1 is told that nothing is unread.
  const ack = await a2.room.read(last.cursor);
  assert.equal(ack.room, 'reads');
  assert.ok(ack.cursor > last.cursor, `the read's cursor ${ack.cursor} after the message ${last.cursor}`);
  for (const [name, a] of [['tab1', a1], ['tab2', a2]]) {
    await waitFor(`${name} told nothing is unread`, () => a.room.unread.count === 0);
    assert.deepEqual(a.room.unread, { count: 0, mentions: 0, cursor: last.cursor }, name);
    const read = await waitFor(`${name} gets the read event`, () => a.r.entries.find((e) => e.event.type === 'read'));
    assert.deepEqual([read.cursor, read.event.user, read.event.cursor], [ack.cursor, 'alice', last.cursor], name);
  }
  // A marker that would move back is acked and changes nothing; one past
  // the room's end is refused.
  await a1.room.read(j1.cursor);
  assert.deepEqual(a1.room.unread, { count: 0, mentions: 0, cursor: last.cursor });
  await assert.rejects(a1.room.read(ack.cursor + 1000), { name: 'ChatError', code: 'bad_request' });
  await assert.rejects(a1.room.read(-1), { code: 'bad_request' });

  // Bob never sees alice's reads: his next message comes to him with none
  // before it; to alice it is one unread again.
  const later = await b.room.send('anyone?');
  await waitFor('bob gets his message', () => b.room.cursor >= later.cursor);
  assert.deepEqual(b.r.entries.filter((e) => e.event.type === 'read'), []);
  await waitFor('tab1 counts the new message', () => a1.room.unread.count === 1);
  assert.deepEqual(a1.room.unread, { count: 1, mentions: 0, cursor: last.cursor });
});

test('edit, delete and react: acks, events, errors, and the state a later join shows', { timeout: 120000 }, async (t) => {
  const s = await startServer(t, { args: FAST });
  const alice = client(t, s.ws, 'alice');
  const a = await joined(alice, 'changes');
  const bob = client(t, s.ws, 'bob');
  const b = await joined(bob, 'changes');

  await a.room.send('first');
  await a.room.send('second');
  const first = await waitFor('bob has the first', () => messageOf(b.r, 'first'));
  const second = await waitFor('bob has the second', () => messageOf(b.r, 'second'));
  const id1 = first.event.id;
  const id2 = second.event.id;

  // Only the author edits or deletes; an unknown id is not found.
  await assert.rejects(b.room.edit(id1, 'bob was here'), { name: 'ChatError', code: 'forbidden' });
  await assert.rejects(b.room.delete(id1), { code: 'forbidden' });
  await assert.rejects(a.room.edit('nosuchmessage', 'x'), { code: 'not_found' });
  await assert.rejects(a.room.react('nosuchmessage', '👍', true), { code: 'not_found' });

  // An edit reaches both.
  const edit = await a.room.edit(id1, 'first, edited');
  assert.equal(edit.room, 'changes');
  for (const [name, r] of [['alice', a.r], ['bob', b.r]]) {
    const e = await waitFor(`${name} gets the edit`, () => r.entries.find((x) => x.event.type === 'edit'));
    assert.deepEqual([e.cursor, e.event.id, e.event.user, e.event.text], [edit.cursor, id1, 'alice', 'first, edited'], name);
  }

  // Reactions: bob's 👍 on and off, alice's 🎉 on.
  const on = await b.room.react(id1, '👍', true);
  const party = await a.room.react(id1, '🎉');
  const off = await b.room.react(id1, '👍', false);
  const reacts = (r) => r.entries.filter((x) => x.event.type === 'react')
    .map((x) => [x.cursor, x.event.id, x.event.user, x.event.emoji, x.event.on]);
  const want = [
    [on.cursor, id1, 'bob', '👍', true],
    [party.cursor, id1, 'alice', '🎉', true],
    [off.cursor, id1, 'bob', '👍', false],
  ];
  for (const [name, r] of [['alice', a.r], ['bob', b.r]]) {
    await waitFor(`${name} gets the reactions`, () => reacts(r).length === 3);
    assert.deepEqual(reacts(r), want, name);
  }

  // A delete (by its other name, remove); a deleted message takes nothing more.
  const del = await a.room.remove(id2);
  for (const [name, r] of [['alice', a.r], ['bob', b.r]]) {
    const e = await waitFor(`${name} gets the delete`, () => r.entries.find((x) => x.event.type === 'delete'));
    assert.deepEqual([e.cursor, e.event.id, e.event.user, 'text' in e.event], [del.cursor, id2, 'alice', false], name);
  }
  await assert.rejects(a.room.edit(id2, 'again'), { code: 'not_found' });
  await assert.rejects(b.room.react(id2, '👍'), { code: 'not_found' });
  await assert.rejects(a.room.delete(id2), { code: 'not_found' });

  // A later join's history shows each message as it is now.
  const carol = client(t, s.ws, 'carol');
  const c = await joined(carol, 'changes');
  const shown = c.r.snapshots[0].events.filter((e) => e.event.type === 'message').map((e) => {
    const { id, user, text, edited, deleted, reactions } = e.event;
    return { id, user, text, edited, deleted, reactions };
  });
  assert.deepEqual(shown, [
    { id: id1, user: 'alice', text: 'first, edited', edited: true, deleted: undefined, reactions: { '🎉': 1 } },
    { id: id2, user: 'alice', text: undefined, edited: undefined, deleted: true, reactions: undefined },
  ]);

  // What the client refuses before asking: a room not joined.
  const gone = a.room;
  await gone.leave();
  await assert.rejects(gone.edit(id1, 'x'), { code: 'not_joined' });
  await assert.rejects(gone.read(0), { code: 'not_joined' });
});
