// Who the chat page is: the name or token of its address, and the name and
// room the browser remembers from the last visit (localStorage, keys
// chatstate.user and chatstate.room; nothing else is kept across reloads).

import { storageGet, storageSet } from './util.js';

const LS_USER = 'chatstate.user';
const LS_ROOM = 'chatstate.room';

/**
 * What the page's address and the browser's storage say, read once as the
 * page opens. A ?user= or ?room= of the address is remembered at once.
 * @param {string} search location.search
 * @returns {{token: string, user: string, room: string, linkUser: string, linkRoom: string}}
 *   token: ?token= ('' for none); user and room: the address's or else the
 *   remembered ones, to fill in the form; linkUser, linkRoom: the address's
 *   alone ('' for none), linkRoom trimmed
 */
export function readIdentity(search) {
  const params = new URLSearchParams(search);
  const linkUser = params.get('user') || '';
  const linkRoom = params.get('room') || '';
  const id = {
    token: params.get('token') || '',
    user: linkUser || storageGet(LS_USER),
    room: linkRoom || storageGet(LS_ROOM),
    linkUser,
    linkRoom: linkRoom.trim(),
  };
  if (linkUser) storageSet(LS_USER, linkUser);
  if (linkRoom) storageSet(LS_ROOM, linkRoom);
  return id;
}

/**
 * Remembers the user name for the next visit.
 * @param {string} name
 */
export function rememberUser(name) {
  storageSet(LS_USER, name);
}

/**
 * Remembers the last room joined for the next visit.
 * @param {string} name
 */
export function rememberRoom(name) {
  storageSet(LS_ROOM, name);
}
