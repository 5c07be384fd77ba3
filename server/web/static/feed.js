// What the chat page does with a room's snapshots and events: it keeps the
// room's messages in their current state (new messages appended, edits,
// deletes and reactions folded in), and it asks the server for the changes
// the user makes, saying in words why one was refused. No DOM.

import { applyChange, applySnapshotChanges, isChange } from './lifecycle.js';
import { addMessages } from './view-messages.js';
import { errorSentence } from './errors.js';

/**
 * What changed in the messages of a room.
 * @typedef {object} Fold
 * @property {boolean} rebuilt the list starts afresh: show it anew
 * @property {import('./view-messages.js').Message[]} added appended, oldest first
 * @property {import('./view-messages.js').Message[]} changed updated in place
 */

/**
 * Folds a snapshot into messages. A new log, or a resume the server cut
 * (gap), starts the list afresh: what it sent, not a list with a hole.
 * @param {import('./view-messages.js').Message[]} messages changed in place
 * @param {{reset: boolean, gap: boolean, events: {cursor: number, event: object}[]}} s
 * @returns {Fold}
 */
export function foldSnapshot(messages, s) {
  const rebuilt = s.reset || s.gap;
  if (rebuilt) messages.length = 0;
  // The changes of older messages first, then the new ones (which show
  // their current state already).
  const changed = rebuilt ? [] : applySnapshotChanges(messages, s.events);
  const added = addMessages(messages, s.events);
  return { rebuilt, added, changed };
}

/**
 * Folds one live event into messages.
 * @param {import('./view-messages.js').Message[]} messages changed in place
 * @param {{cursor: number, event: object}} entry
 * @returns {Fold}
 */
export function foldEvent(messages, entry) {
  const ev = entry.event;
  if (ev.type === 'message') return { rebuilt: false, added: addMessages(messages, [entry]), changed: [] };
  const m = isChange(ev) ? applyChange(messages, ev) : null;
  return { rebuilt: false, added: [], changed: m ? [m] : [] };
}

/**
 * The newest message of another user: how far reading the room marks it.
 * @param {import('./view-messages.js').Message[]} messages
 * @param {string} me
 * @returns {import('./view-messages.js').Message|null}
 */
export function newestOfOthers(messages, me) {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].user !== me) return messages[i];
  }
  return null;
}

/** What the page says of a change the server or the client refused. */
const CHANGE_TEXT = {
  not_found: 'That message is no longer there (deleted, or too old to change)',
  forbidden: 'Only its author may change that message',
  offline: 'You are offline — try again once you are back',
  not_joined: 'Wait until you have joined the room',
  too_large: 'That text is too long (max 4096 bytes)',
  timeout: 'No answer from the server yet — the change may not have been made',
  disconnected: 'The connection ended before the answer — the change may not have been made',
};

/**
 * The actions of the message list on the room shown.
 * @param {() => import('./chatstate-client/index.js').Room|null} room the room shown
 * @param {(code: string, sentence: string, detail?: string) => void} showError
 * @returns {import('./view-actions.js').MessageActions}
 */
export function messageActions(room, showError) {
  const run = (what, call) => {
    const r = room();
    if (!r) return Promise.reject(new Error('no room'));
    return call(r).catch((err) => {
      if (err.code !== 'closed') {
        const server = !(err.code in CHANGE_TEXT) || err.code === 'not_found' || err.code === 'forbidden';
        showError(server ? err.code : '', `Could not ${what}: ${CHANGE_TEXT[err.code] || errorSentence(err.code)}`, err.detail);
      }
      throw err;
    });
  };
  return {
    edit: (m, text) => run('edit the message', (r) => r.edit(m.id, text)),
    remove: (m) => run('delete the message', (r) => r.delete(m.id)),
    react: (m, emoji, on) => run(on ? 'add the reaction' : 'take the reaction back', (r) => r.react(m.id, emoji, on)),
  };
}
