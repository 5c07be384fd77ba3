// The rules of a room as a client sees them: from each snapshot, then
// folded from the room's rule events (settings, role, ban, mute).

/**
 * @typedef {object} Rules
 * @property {string} owner '' for a direct room (or before the first join)
 * @property {string[]} moderators sorted
 * @property {boolean} private
 * @property {string} topic '' when none
 * @property {string[]} dm the two users of a direct room, else empty
 * @property {string[]} banned sorted; complete only when `listed`
 * @property {string[]} muted sorted; complete only when `listed`
 * @property {boolean} listed whether the snapshot listed the bans and mutes
 *   (it does for the owner and the moderators); otherwise `banned` and
 *   `muted` hold only those seen in live events
 */

const names = (v) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string').sort() : []);

/** @returns {Rules} the rules a snapshot carries */
export function rulesOf(snap) {
  return {
    owner: typeof snap.owner === 'string' ? snap.owner : '',
    moderators: names(snap.moderators),
    private: snap.private === true,
    topic: typeof snap.topic === 'string' ? snap.topic : '',
    dm: names(snap.dm),
    banned: names(snap.banned),
    muted: names(snap.muted),
    listed: Array.isArray(snap.banned) || Array.isArray(snap.muted),
  };
}

function toggle(list, user, on) {
  const rest = list.filter((u) => u !== user);
  return on ? [...rest, user].sort() : rest;
}

/**
 * Folds one event into the rules.
 * @param {Rules} r
 * @param {object} ev
 * @returns {Rules|null} the new rules, or null when the event changes none
 */
export function foldRules(r, ev) {
  switch (ev.type) {
    case 'join':
      // The first join of a room makes it: a direct room, private to the
      // two, when it names the other user; else a room owned by the joiner.
      if (r.owner || r.dm.length) return null;
      if (ev.target) return { ...r, dm: [String(ev.user), String(ev.target)].sort(), private: true };
      return { ...r, owner: String(ev.user) };
    case 'settings': {
      const next = { ...r };
      if (typeof ev.private === 'boolean') next.private = ev.private;
      if (typeof ev.topic === 'string') next.topic = ev.topic;
      return next;
    }
    case 'role':
      return { ...r, moderators: toggle(r.moderators, ev.target, ev.role === 'moderator') };
    case 'ban': {
      const next = { ...r, banned: toggle(r.banned, ev.target, !!ev.on) };
      if (ev.on) next.moderators = toggle(r.moderators, ev.target, false);
      return next;
    }
    case 'mute':
      return { ...r, muted: toggle(r.muted, ev.target, !!ev.on) };
    default:
      return null;
  }
}
