// The changes of messages the chat page folds into what it shows: edit,
// delete and react events, by the id of the message they change. No DOM.

/** The emoji the page offers for a new reaction. */
export const EMOJI = ['👍', '❤️', '😂', '🎉', '😮'];

/** Event types that change a message. */
const CHANGES = new Set(['edit', 'delete', 'react']);

/**
 * The reactions of one emoji on a message.
 *
 * A snapshot tells only how many users reacted with each emoji, not who:
 * `count` starts from it and `users` from nothing. The live `react` events
 * then say who, and `users` keeps what they said (true: on, false: off).
 * So whether the page's own user reacted is known only from a live event;
 * before one it counts as off, and a press on the chip adds the reaction.
 * When the snapshot's count already held it, the server keeps it once (one
 * per user and emoji) but the page counts the event: the chip shows one too
 * many until the next press (which takes it back) or the room's next
 * history.
 * @typedef {{count: number, users: Map<string, boolean>}} Reaction
 */

/**
 * The reactions of a message, by emoji, from an event's `reactions`
 * (counts per emoji, absent when none).
 * @param {unknown} counts
 * @returns {Map<string, Reaction>}
 */
export function reactionsOf(counts) {
  const out = new Map();
  if (!counts || typeof counts !== 'object') return out;
  for (const [emoji, n] of Object.entries(counts)) {
    if (typeof n === 'number' && n > 0) out.set(emoji, { count: n, users: new Map() });
  }
  return out;
}

/**
 * Whether an event changes a message (edit, delete, react).
 * @param {object} ev
 * @returns {boolean}
 */
export function isChange(ev) {
  return !!ev && CHANGES.has(ev.type) && typeof ev.id === 'string';
}

/**
 * Folds a change into its message, found in messages by id, as the server
 * does: an edit or delete by the author, a react by anyone, nothing once
 * deleted.
 * @param {import('./view-messages.js').Message[]} messages
 * @param {object} ev an edit, delete or react event
 * @returns {import('./view-messages.js').Message|null} the message changed,
 *   null when it is not among messages or the change does not apply
 */
export function applyChange(messages, ev) {
  if (!isChange(ev)) return null;
  const m = findMessage(messages, ev.id);
  if (!m || m.deleted) return null;
  const user = String(ev.user ?? '');
  switch (ev.type) {
    case 'edit':
      if (user !== m.user) return null;
      m.text = String(ev.text ?? '');
      m.edited = true;
      return m;
    case 'delete':
      if (user !== m.user) return null;
      m.text = '';
      m.deleted = true;
      m.reactions = new Map();
      return m;
    default:
      react(m, String(ev.emoji ?? ''), user, ev.on === true);
      return m;
  }
}

/**
 * Folds the changes among a snapshot's entries into the messages shown. A
 * message in the same snapshot shows its current state already, so the
 * changes of those are passed over; those of older messages apply.
 * @param {import('./view-messages.js').Message[]} messages
 * @param {{cursor: number, event: object}[]} entries
 * @returns {import('./view-messages.js').Message[]} the messages changed
 */
export function applySnapshotChanges(messages, entries) {
  const fresh = new Set();
  for (const e of entries) {
    if (e.event && e.event.type === 'message') fresh.add(String(e.event.id ?? ''));
  }
  const changed = [];
  for (const e of entries) {
    if (!isChange(e.event) || fresh.has(e.event.id)) continue;
    const m = applyChange(messages, e.event);
    if (m && !changed.includes(m)) changed.push(m);
  }
  return changed;
}

/**
 * The chips of a message: each emoji with its count and whether me is
 * known to have reacted with it, in the order the emoji came.
 * @param {import('./view-messages.js').Message} m
 * @param {string} me
 * @returns {{emoji: string, count: number, mine: boolean}[]}
 */
export function chipsOf(m, me) {
  return [...m.reactions].map(([emoji, r]) => ({ emoji, count: r.count, mine: r.users.get(me) === true }));
}

/**
 * The message of id, newest first (changes are of recent messages).
 * @param {import('./view-messages.js').Message[]} messages
 * @param {string} id
 * @returns {import('./view-messages.js').Message|null}
 */
export function findMessage(messages, id) {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].id === id) return messages[i];
  }
  return null;
}

/** One user's reaction on or off (see Reaction for what is not known). */
function react(m, emoji, user, on) {
  if (!emoji) return;
  let r = m.reactions.get(emoji);
  if (!r) {
    if (!on) return; // nothing to take back
    r = { count: 0, users: new Map() };
    m.reactions.set(emoji, r);
  }
  const was = r.users.get(user);
  if (on && was !== true) r.count += 1;
  if (!on && was !== false) r.count = Math.max(0, r.count - 1);
  r.users.set(user, on);
  if (r.count === 0) m.reactions.delete(emoji);
}
