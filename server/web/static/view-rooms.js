// The side lists of rooms: the rooms joined (#joined, with the unread counts
// and mentions the server tells) and all rooms with their counts (#rooms,
// from GET /api/rooms).

import { make, reconcile, setText } from './dom.js';
import { plural } from './util.js';

/**
 * Renders the joined rooms; the focused entry keeps its focus.
 * @param {{joined: HTMLElement, joinedEmpty: HTMLElement}} el
 * @param {{name: string, label?: string, private?: boolean, state: string,
 *   unread: number, mentions: number}[]} rooms in join order; label is
 *   shown instead of the name (a direct room's other user)
 * @param {string|null} current the room shown
 * @param {(name: string) => void} onPick a press on an entry
 */
export function renderJoined(el, rooms, current, onPick) {
  const focusedRoom = document.activeElement && document.activeElement.closest
    ? document.activeElement.closest('li[data-room]')?.dataset.room
    : undefined;
  el.joined.replaceChildren();
  for (const room of rooms) {
    const name = room.name;
    const li = make('li');
    li.dataset.room = name;
    const btn = make('button', 'joined-btn');
    btn.type = 'button';
    if (name === current) btn.setAttribute('aria-current', 'true');
    btn.append(make('span', 'room-name', room.label || name));
    let label = room.label || name;
    if (room.private) {
      const lock = make('span', 'lock', '🔒');
      lock.dataset.testid = 'lock';
      lock.title = 'Private room';
      lock.setAttribute('aria-hidden', 'true');
      btn.append(lock);
      label += ', private';
    }
    if (room.state !== 'joined') {
      const s = make('span', 'room-state', room.state === 'leaving' ? 'leaving…' : 'joining…');
      btn.append(s);
      label += `, ${s.textContent}`;
    }
    if (room.unread > 0) {
      const badge = make('span', 'badge', room.unread > 99 ? '99+' : String(room.unread));
      badge.dataset.testid = 'unread';
      btn.append(badge);
      label += `, ${room.unread} unread`;
      if (room.mentions > 0) {
        const at = make('span', 'badge badge-mention', `@${room.mentions > 99 ? '99+' : room.mentions}`);
        at.dataset.testid = 'mentions';
        at.title = room.mentions === 1 ? 'You are mentioned' : `You are mentioned ${room.mentions} times`;
        btn.append(at);
        label += `, ${room.mentions === 1 ? '1 mention' : `${room.mentions} mentions`} of you`;
      }
    }
    btn.setAttribute('aria-label', label);
    btn.addEventListener('click', () => onPick(name));
    li.append(btn);
    el.joined.append(li);
    if (focusedRoom === name) btn.focus();
  }
  el.joinedEmpty.hidden = rooms.length > 0;
}

/**
 * Updates the list of all rooms in place, so that a focused entry keeps its
 * focus.
 * @param {{rooms: HTMLElement, roomsEmpty: HTMLElement}} el
 * @param {object[]} list rooms of GET /api/rooms
 * @param {(name: string) => boolean} isJoined
 * @param {(name: string) => void} onPick a press on an entry
 */
export function renderRoomList(el, list, isJoined, onPick) {
  const rooms = list.filter((r) => r && typeof r.room === 'string');
  reconcile(el.rooms, rooms, (r) => r.room, (r) => {
    const name = r.room;
    const li = make('li');
    li.dataset.room = name;
    const btn = make('button', 'room-btn');
    btn.type = 'button';
    btn.append(make('span', 'room-name', name), make('span', 'room-counts'));
    btn.addEventListener('click', () => onPick(name));
    li.append(btn);
    return li;
  }, (li, r) => {
    const name = r.room;
    const text = `${plural(Number(r.members) || 0, 'member', 'members')} · ${plural(Number(r.messages) || 0, 'message', 'messages')}`;
    setText(li.querySelector('.room-counts'), text);
    const btn = li.querySelector('button');
    const joined = isJoined(name);
    btn.classList.toggle('is-joined', joined);
    btn.setAttribute('aria-label', `${name}: ${text}${joined ? ', joined' : ''}`);
  });
  el.roomsEmpty.textContent = 'No rooms yet — create one by joining it.';
  el.roomsEmpty.hidden = el.rooms.children.length > 0;
}

/**
 * Says that the list of all rooms could not be read.
 * @param {{roomsEmpty: HTMLElement}} el
 */
export function roomListFailed(el) {
  el.roomsEmpty.textContent = 'The room list is unavailable right now — retrying.';
  el.roomsEmpty.hidden = false;
}

/**
 * Marks the entries of the list of all rooms that are joined.
 * @param {{rooms: HTMLElement}} el
 * @param {(name: string) => boolean} isJoined
 */
export function markJoined(el, isJoined) {
  for (const li of el.rooms.children) {
    const btn = li.querySelector('button');
    if (btn) btn.classList.toggle('is-joined', isJoined(li.dataset.room));
  }
}
