// What the operator page shows of the lists it polls: the rooms table, one
// room with its members, and the online users. ops.js owns the state and
// the polling and calls these after each answer; they write only to the
// page, every piece of data through textContent.

import { cell, reconcile, setText, setWhen } from './dom.js';

/** The most rooms the page asks for; more are narrowed with the filter. */
export const ROOM_LIMIT = 1000;

function sortValue(room, key) {
  switch (key) {
    case 'members':
    case 'messages':
    case 'cursor':
      return Number(room[key]) || 0;
    case 'updated': {
      const t = Date.parse(room.updated || '');
      return Number.isNaN(t) ? -Infinity : t;
    }
    default:
      return String(room.room);
  }
}

/** rooms sorted by key, in dir (1 or -1), then by name. */
function sortedRooms(rooms, key, dir) {
  return [...rooms].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x < y) return -dir;
    if (x > y) return dir;
    return a.room < b.room ? -1 : a.room > b.room ? 1 : 0;
  });
}

/**
 * Shows the rooms of st (rooms, prefix, sortKey, sortDir, selected) in the
 * rooms table; a room's name shows it through select.
 */
export function renderRooms(el, st, select) {
  reconcile(el.roomsBody, sortedRooms(st.rooms, st.sortKey, st.sortDir), (r) => r.room, (r) => {
    const tr = document.createElement('tr');
    tr.dataset.room = r.room;
    const nameCell = cell(tr, 'room-cell');
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'link-btn';
    btn.textContent = r.room;
    btn.setAttribute('aria-label', `Show room ${r.room}`);
    btn.addEventListener('click', () => select(r.room));
    nameCell.append(btn);
    cell(tr, 'num members');
    cell(tr, 'num messages');
    cell(tr, 'updated');
    cell(tr, 'num cursor');
    return tr;
  }, (tr, r) => {
    setText(tr.querySelector('.members'), Number(r.members) || 0);
    setText(tr.querySelector('.messages'), Number(r.messages) || 0);
    setWhen(tr.querySelector('.updated'), r.updated);
    setText(tr.querySelector('.cursor'), r.cursor ?? '');
    const sel = r.room === st.selected;
    tr.classList.toggle('is-selected', sel);
    if (sel) tr.setAttribute('aria-current', 'true');
    else tr.removeAttribute('aria-current');
  });
  setText(el.roomsCount, `(${st.rooms.length})`);
  el.roomsEmpty.hidden = st.rooms.length > 0;
  setText(el.roomsEmpty, st.prefix ? `No room starts with “${st.prefix}”.` : 'No rooms yet.');
  el.roomsMore.hidden = st.rooms.length < ROOM_LIMIT;
  setText(el.roomsMore, `Showing the first ${ROOM_LIMIT} rooms by name — narrow them with the filter.`);
  for (const th of el.roomsTable.querySelectorAll('th[data-sort]')) {
    if (th.dataset.sort === st.sortKey) th.setAttribute('aria-sort', st.sortDir > 0 ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
}

/** Shows one room as GET /api/rooms/{room} answered it, with its members. */
export function renderRoom(el, room) {
  el.roomEmpty.hidden = true;
  el.roomBody.hidden = false;
  setText(el.roomName, room.room);
  setText(el.roomCursor, room.cursor ?? '');
  setText(el.roomEpoch, room.epoch || '');
  setText(el.roomMessages, Number(room.messages) || 0);
  setWhen(el.roomCreated, room.created);
  setWhen(el.roomUpdated, room.updated);
  el.roomOpen.href = `/?room=${encodeURIComponent(room.room)}`;
  const members = Array.isArray(room.members) ? room.members.filter((m) => m && typeof m.user === 'string') : [];
  reconcile(el.roomMembers, members, (m) => m.user, (m) => {
    const tr = document.createElement('tr');
    tr.dataset.user = m.user;
    cell(tr, 'user').textContent = m.user;
    cell(tr, 'num sessions');
    return tr;
  }, (tr, m) => {
    setText(tr.querySelector('.sessions'), Number(m.sessions) || 0);
  });
  setText(el.roomMemberCount, `(${members.length})`);
  el.roomMembersEmpty.hidden = members.length > 0;
}

/** Shows the online users; a room of a user's shows it through select. */
export function renderUsers(el, users, select) {
  reconcile(el.usersBody, users, (u) => u.user, (u) => {
    const tr = document.createElement('tr');
    tr.dataset.user = u.user;
    cell(tr, 'user').textContent = u.user;
    cell(tr, 'rooms');
    cell(tr, 'num sessions');
    cell(tr, 'seen');
    return tr;
  }, (tr, u) => {
    const rooms = Array.isArray(u.rooms) ? u.rooms.map(String) : [];
    const td = tr.querySelector('.rooms');
    const key = rooms.join('\n');
    if (td.dataset.rooms !== key) {
      td.dataset.rooms = key;
      td.replaceChildren();
      rooms.forEach((name, i) => {
        if (i > 0) td.append(', ');
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'link-btn';
        b.textContent = name;
        b.setAttribute('aria-label', `Show room ${name}`);
        b.addEventListener('click', () => select(name));
        td.append(b);
      });
    }
    setText(tr.querySelector('.sessions'), Number(u.sessions) || 0);
    setWhen(tr.querySelector('.seen'), u.last_seen);
  });
  setText(el.usersCount, `(${users.length})`);
  el.usersEmpty.hidden = users.length > 0;
  setText(el.usersEmpty, 'Nobody is online.');
}
