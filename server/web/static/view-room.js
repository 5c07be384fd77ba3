// The head of the room shown (title, counts, notice, empty hint, Leave) and
// the message box's state.

import { plural } from './util.js';

/**
 * What the views read of a joined room.
 * @typedef {object} RoomView
 * @property {string} name
 * @property {string} state joining, joined or leaving
 * @property {boolean} synced
 * @property {boolean} truncated
 * @property {number} memberCount
 * @property {number} messageCount
 * @property {number} shown messages in the list
 * @property {boolean} [muted] the user may not send there
 */

/**
 * What the views read of a joined room as the page keeps it.
 * @param {{name: string, room: import('./chatstate-client/index.js').Room,
 *   messages: unknown[]}|null} v
 * @returns {RoomView|null}
 */
export function roomViewOf(v) {
  if (!v) return null;
  const r = v.room;
  return {
    name: v.name,
    state: r.state,
    synced: r.synced,
    truncated: r.truncated,
    memberCount: r.members().length,
    messageCount: r.messageCount,
    shown: v.messages.length,
  };
}

/**
 * Renders the room head.
 * @param {object} el the elements roomTitle, roomMeta, leaveButton, notice, emptyHint
 * @param {RoomView|null} room the room shown
 * @param {boolean} anyJoined
 * @param {string} conn the connection state
 */
export function renderRoomHead(el, room, anyJoined, conn) {
  if (!room) {
    el.roomTitle.textContent = anyJoined ? 'Pick a room' : 'No room yet';
    el.roomMeta.textContent = 'Pick a name and a room, then press Join.';
    el.leaveButton.hidden = true;
    el.notice.hidden = true;
    el.emptyHint.hidden = true;
    return;
  }
  el.roomTitle.textContent = room.name;
  let meta;
  if (room.state === 'leaving') meta = 'Leaving…';
  else if (room.state === 'joining') meta = conn === 'live' ? 'Joining…' : 'Waiting for the connection…';
  else meta = `${plural(room.memberCount, 'member', 'members')} · ${plural(room.messageCount, 'message', 'messages')}`;
  el.roomMeta.textContent = meta;
  el.leaveButton.hidden = false;
  el.leaveButton.disabled = room.state === 'leaving';
  el.leaveButton.setAttribute('aria-label', `Leave room ${room.name}`);
  if (room.truncated) {
    el.notice.textContent = 'Heads up: some older events are no longer available.';
    el.notice.hidden = false;
  } else {
    el.notice.hidden = true;
  }
  el.emptyHint.textContent = room.synced ? 'No messages yet — say hello.' : 'Loading messages…';
  el.emptyHint.hidden = room.shown > 0;
}

/**
 * Enables the message box for the room shown.
 * @param {object} el the elements messageInput, sendButton
 * @param {RoomView|null} room
 * @param {string} conn the connection state
 */
export function renderComposer(el, room, conn) {
  const usable = !!room && room.state !== 'leaving' && !room.muted;
  el.messageInput.disabled = !usable;
  el.sendButton.disabled = !usable;
  el.messageInput.placeholder = !room
    ? 'Join a room to write'
    : room.muted ? 'You are muted in this room'
      : conn === 'live' ? `Message ${room.name}` : 'Offline — messages wait here until you are back';
}
