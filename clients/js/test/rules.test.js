// Rooms with rules against a real `chatstate dev`: a direct room opened from
// both sides, a private room that refuses a user not invited, an invitation
// told to the invited user, a kick that ends the room on the kicked client
// (which does not join it again after a reconnect), mutes and roles in the
// room's rules, and typing notices reaching the other member.

import test from 'node:test';
import assert from 'node:assert/strict';
import { connect, dmRoomName } from '../src/index.js';
import { defer, startProxy, startServer, waitFor } from './harness.js';

const FAST = ['--send-rate', '100000', '--send-burst', '100000', '--join-rate', '1000', '--join-burst', '1000'];

function client(t, url, user) {
  const c = connect({ url, user, backoffMinMs: 50, backoffMaxMs: 200 });
  defer(t, () => c.close());
  return c;
}

/** The frames of type on an emitter, kept in a list. */
function collect(emitter, type) {
  const out = [];
  emitter.on(type, (x) => out.push(x));
  return out;
}

test('a direct room opened from both sides is one room, told to the other by invited', { timeout: 120000 }, async (t) => {
  const s = await startServer(t, { args: FAST });
  const alice = client(t, s.ws, 'alice');
  const bob = client(t, s.ws, 'bob');
  const invited = collect(bob, 'invited');
  await waitFor('both live', () => alice.live && bob.live);

  const ra = alice.dm('bob');
  assert.equal(ra.name, dmRoomName('alice', 'bob'));
  assert.match(ra.name, /^dm-[0-9a-f]{32}$/);
  await ra.joined();
  // The first snapshot is the room before the join that makes it.
  await waitFor('the direct room made', () => ra.rules.dm.length === 2);
  assert.deepEqual(ra.rules.dm, ['alice', 'bob']);
  assert.equal(ra.rules.private, true);
  assert.equal(ra.rules.owner, '');

  await waitFor('bob invited', () => invited.length > 0);
  assert.deepEqual(invited, [{ room: ra.name, by: 'alice' }]);

  const rb = bob.dm('alice');
  assert.equal(rb.name, ra.name);
  await rb.joined();
  await waitFor('alice sees bob', () => ra.members().some((m) => m.user === 'bob'));
  const got = [];
  ra.on('event', ({ event }) => { if (event.type === 'message') got.push(`${event.user}: ${event.text}`); });
  rb.on('event', ({ event }) => { if (event.type === 'message') got.push(`${event.user}: ${event.text}`); });
  await rb.send('hi alice');
  await ra.send('hi bob');
  await waitFor('four deliveries', () => got.length === 4);
  assert.deepEqual(got.sort(), ['alice: hi bob', 'alice: hi bob', 'bob: hi alice', 'bob: hi alice']);

  // A third user may not join it, and nobody opens a direct room with themselves.
  const carol = client(t, s.ws, 'carol');
  await waitFor('carol live', () => carol.live);
  const rc = carol.join(ra.name);
  await assert.rejects(rc.joined(), (err) => err.code === 'forbidden');
  assert.equal(rc.state, 'left');
  await assert.rejects(carol.dm('carol').joined(), (err) => err.code === 'bad_request');
});

test('a private room refuses a user not invited, and takes one invited', { timeout: 120000 }, async (t) => {
  const s = await startServer(t, { args: FAST });
  const owner = client(t, s.ws, 'olga');
  const room = owner.join('secret');
  await room.joined();
  await waitFor('olga owns it', () => room.rules.owner === 'olga');
  const rulesSeen = collect(room, 'rules');
  const ack = await room.settings({ private: true, topic: 'plans' });
  assert.equal(ack.room, 'secret');
  await waitFor('the settings event', () => rulesSeen.some((r) => r.private && r.topic === 'plans'));

  const pete = client(t, s.ws, 'pete');
  const invited = collect(pete, 'invited');
  await waitFor('pete live', () => pete.live);
  const refused = pete.join('secret');
  const left = collect(refused, 'left');
  await assert.rejects(refused.joined(), (err) => err.code === 'forbidden');
  assert.equal(refused.state, 'left');
  assert.deepEqual(left, [{ reason: 'error' }]);
  assert.equal(pete.room('secret'), undefined);

  // A member may not change the settings of another's room.
  await room.invite('pete');
  await waitFor('pete invited', () => invited.length === 1);
  assert.deepEqual(invited, [{ room: 'secret', by: 'olga' }]);
  const rp = pete.join('secret');
  await rp.joined();
  assert.deepEqual([rp.rules.owner, rp.rules.private, rp.rules.topic], ['olga', true, 'plans']);
  await assert.rejects(rp.settings({ topic: 'mine' }), (err) => err.code === 'forbidden');
  await assert.rejects(rp.kick('olga'), (err) => err.code === 'forbidden');

  // Roles and mutes show in the rules of both.
  await room.role('pete', 'moderator');
  await waitFor('pete a moderator for pete', () => rp.rules.moderators.includes('pete'));
  await room.role('pete', 'member');
  await waitFor('pete a member again', () => rp.rules.moderators.length === 0);
  await room.mute('pete', true);
  await waitFor('pete muted', () => rp.muted);
  assert.deepEqual(room.rules.muted, ['pete']);
  await assert.rejects(rp.send('may I?'), (err) => err.code === 'forbidden');
  await room.mute('pete', false);
  await waitFor('pete unmuted', () => !rp.muted);
  await rp.send('thanks');
});

test('a kick ends the room on the kicked client, which does not join it again after a reconnect', { timeout: 120000 }, async (t) => {
  const s = await startServer(t, { args: FAST });
  const proxy = await startProxy(t, s.httpPort);
  const mod = client(t, s.ws, 'mia');
  const rm = await mod.join('hall').joined();
  const kid = client(t, proxy.ws, 'ken');
  const rk = kid.join('hall');
  const left = collect(rk, 'left');
  await rk.joined();
  await waitFor('mia sees ken', () => rm.members().some((m) => m.user === 'ken'));

  await rm.kick('ken');
  await waitFor('ken left', () => rk.state === 'left');
  assert.deepEqual(left, [{ reason: 'kick', by: 'mia' }]);
  assert.equal(kid.room('hall'), undefined);
  assert.deepEqual(kid.rooms(), []);
  await waitFor('ken gone from mia\'s members', () => !rm.members().some((m) => m.user === 'ken'));
  await assert.rejects(rk.send('still here?'), (err) => err.code === 'not_joined');

  // After a reconnect ken is in no room.
  const hellos = collect(kid, 'hello');
  proxy.cut();
  await waitFor('ken back', () => hellos.length === 1 && kid.live);
  const info = await (await fetch(`${s.url}/api/rooms/hall`)).json();
  assert.deepEqual(info.members.map((m) => m.user), ['mia']);
  assert.deepEqual(kid.rooms(), []);

  // A ban ends it too, and refuses the join after.
  const rk2 = await kid.join('hall').joined();
  const left2 = collect(rk2, 'left');
  await rm.ban('ken', true);
  await waitFor('ken banned out', () => rk2.state === 'left');
  assert.deepEqual(left2, [{ reason: 'ban', by: 'mia' }]);
  await assert.rejects(kid.join('hall').joined(), (err) => err.code === 'forbidden');
  await waitFor('mia sees the ban', () => rm.rules.banned.includes('ken'));
});

test('typing reaches the other member, at most once per 2 s from a client', { timeout: 120000 }, async (t) => {
  const s = await startServer(t, { args: FAST });
  const a = client(t, s.ws, 'ann');
  const b = client(t, s.ws, 'ben');
  const ra = await a.join('desk').joined();
  const rb = await b.join('desk').joined();
  const seenByA = collect(ra, 'typing');
  const seenByB = collect(rb, 'typing');
  await waitFor('ann sees ben', () => ra.members().length === 2);
  assert.equal(rb.typing(), true);
  assert.equal(rb.typing(), false, 'a second notice within 2 s is dropped');
  const f = await waitFor('ann told', () => seenByA[0]);
  assert.deepEqual([f.op, f.room, f.user], ['typing', 'desk', 'ben']);
  // Ben's own notice is not sent back to him.
  await ra.send('sync');
  await waitFor('the message at ben', () => rb.messageCount >= 1);
  assert.deepEqual(seenByB, []);
  assert.equal(seenByA.length, 1);
});
