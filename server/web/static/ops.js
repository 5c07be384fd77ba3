// chatstate operator page: a read-only view of the room and user tables and of
// the server's readiness, refreshed every 2 seconds. This module owns the
// state and the polling; ops-tables.js shows the lists. Plain DOM; every
// piece of data goes in through textContent.

import { elements, setText, showText } from './dom.js';
import { errorText, getJSON } from './http.js';
import { ROOM_LIMIT, renderRoom, renderRooms, renderUsers } from './ops-tables.js';
import { NAME_RE } from './protocol.js';

const REFRESH_MS = 2000;
const FILTER_DELAY_MS = 250;

const el = elements({
  updated: 'ops-updated',
  pause: 'ops-pause',
  ready: 'ops-ready',
  readyDetail: 'ops-ready-detail',
  filter: 'ops-filter',
  roomsTable: 'ops-rooms',
  roomsBody: 'ops-rooms-body',
  roomsCount: 'ops-rooms-count',
  roomsError: 'ops-rooms-error',
  roomsEmpty: 'ops-rooms-empty',
  roomsMore: 'ops-rooms-more',
  roomForm: 'ops-room-form',
  roomInput: 'ops-room-input',
  roomError: 'ops-room-error',
  roomEmpty: 'ops-room-empty',
  roomBody: 'ops-room-body',
  roomName: 'ops-room-name',
  roomCursor: 'ops-room-cursor',
  roomEpoch: 'ops-room-epoch',
  roomMessages: 'ops-room-messages',
  roomCreated: 'ops-room-created',
  roomUpdated: 'ops-room-updated',
  roomMembers: 'ops-room-members',
  roomMemberCount: 'ops-room-member-count',
  roomMembersEmpty: 'ops-room-members-empty',
  roomOpen: 'ops-room-open',
  usersBody: 'ops-users-body',
  usersCount: 'ops-users-count',
  usersError: 'ops-users-error',
  usersEmpty: 'ops-users-empty',
});

const st = {
  prefix: '',
  sortKey: 'room',
  sortDir: 1,
  rooms: [],
  // The ETags of st.rooms and st.users: a poll names them, and an
  // unchanged list answers 304 without a body.
  roomsTag: '',
  users: [],
  usersTag: '',
  selected: '',
  paused: false,
  timer: 0,
  busy: false,
  again: false,
  filterTimer: 0,
};

const UNREACHABLE = 'The server cannot be reached — retrying.';

// ------------------------------------------------------------------ readiness

async function loadReady() {
  let r;
  try {
    r = await getJSON('/readyz');
  } catch {
    setReady('unreachable', 'unreachable', UNREACHABLE);
    return false;
  }
  if (r.ok && r.body && r.body.status === 'ready') {
    setReady('live', 'ready', '', `epoch ${r.body.epoch || '?'}`);
  } else {
    setReady('reconnecting', 'not ready', `Not ready: ${errorText(r)}`);
  }
  return true;
}

function setReady(state, label, detail, title = '') {
  el.ready.dataset.state = state;
  setText(el.ready, label);
  el.ready.title = title || detail;
  showText(el.readyDetail, detail);
}

// ------------------------------------------------------------------ rooms

async function loadRooms() {
  const q = new URLSearchParams({ limit: String(ROOM_LIMIT) });
  if (st.prefix) q.set('prefix', st.prefix);
  const prefix = st.prefix;
  let r;
  try {
    r = await getJSON(`/api/rooms?${q}`, { etag: st.roomsTag });
  } catch {
    showText(el.roomsError, UNREACHABLE);
    return false;
  }
  if (prefix !== st.prefix) return true; // the filter changed meanwhile
  if (!r.ok) {
    showText(el.roomsError, `The room list is unavailable: ${errorText(r)}`);
    return true;
  }
  showText(el.roomsError, '');
  if (!r.notModified) {
    st.roomsTag = r.etag;
    st.rooms = Array.isArray(r.body && r.body.rooms) ? r.body.rooms.filter((x) => x && typeof x.room === 'string') : [];
  }
  // Rendered on a 304 too: the last activity reads "… ago".
  renderRooms(el, st, selectRoom);
  return true;
}

for (const th of el.roomsTable.querySelectorAll('th[data-sort]')) {
  th.querySelector('button').addEventListener('click', () => {
    const key = th.dataset.sort;
    if (st.sortKey === key) st.sortDir = -st.sortDir;
    else {
      st.sortKey = key;
      // Names read best A→Z; numbers and times biggest or newest first.
      st.sortDir = key === 'room' ? 1 : -1;
    }
    renderRooms(el, st, selectRoom);
  });
}

el.filter.addEventListener('input', () => {
  clearTimeout(st.filterTimer);
  st.filterTimer = setTimeout(() => {
    const prefix = el.filter.value.trim();
    if (prefix === st.prefix) return;
    st.prefix = prefix;
    const url = new URL(location.href);
    if (prefix) url.searchParams.set('prefix', prefix);
    else url.searchParams.delete('prefix');
    history.replaceState(null, '', url);
    refreshNow();
  }, FILTER_DELAY_MS);
});

// ------------------------------------------------------------------ one room

function selectRoom(name) {
  st.selected = name;
  el.roomInput.value = name;
  const url = new URL(location.href);
  if (name) url.searchParams.set('room', name);
  else url.searchParams.delete('room');
  history.replaceState(null, '', url);
  renderRooms(el, st, selectRoom);
  refreshNow();
}

el.roomForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const name = el.roomInput.value.trim();
  if (name && !NAME_RE.test(name)) {
    showText(el.roomError, 'Room names use letters, digits, ".", "_" or "-" (up to 64 characters, starting with a letter or digit).');
    return;
  }
  selectRoom(name);
});

async function loadRoom() {
  const name = st.selected;
  if (!name) {
    el.roomBody.hidden = true;
    el.roomEmpty.hidden = false;
    showText(el.roomError, '');
    return true;
  }
  let r;
  try {
    r = await getJSON(`/api/rooms/${encodeURIComponent(name)}`);
  } catch {
    showText(el.roomError, UNREACHABLE);
    return false;
  }
  if (name !== st.selected) return true;
  if (r.status === 404) {
    el.roomBody.hidden = true;
    el.roomEmpty.hidden = true;
    showText(el.roomError, `There is no room ${name}: it was never used.`);
    return true;
  }
  if (!r.ok || !r.body) {
    showText(el.roomError, `Room ${name} is unavailable: ${errorText(r)}`);
    return true;
  }
  showText(el.roomError, '');
  renderRoom(el, r.body);
  return true;
}

// ------------------------------------------------------------------ users

async function loadUsers() {
  let r;
  try {
    r = await getJSON('/api/users?online=true', { etag: st.usersTag });
  } catch {
    showText(el.usersError, UNREACHABLE);
    return false;
  }
  if (!r.ok) {
    showText(el.usersError, `The user list is unavailable: ${errorText(r)}`);
    return true;
  }
  showText(el.usersError, '');
  if (!r.notModified) {
    st.usersTag = r.etag;
    st.users = Array.isArray(r.body && r.body.users) ? r.body.users.filter((u) => u && typeof u.user === 'string') : [];
  }
  // Rendered on a 304 too: "seen" reads "… ago".
  renderUsers(el, st.users, selectRoom);
  return true;
}

// ------------------------------------------------------------------ refresh

async function refresh() {
  if (st.busy) {
    st.again = true;
    return;
  }
  st.busy = true;
  clearTimeout(st.timer);
  try {
    const results = await Promise.all([loadReady(), loadRooms(), loadRoom(), loadUsers()]);
    const reached = results.every(Boolean);
    const now = new Date().toLocaleTimeString();
    setText(el.updated, reached ? `updated ${now}` : `server unreachable at ${now}`);
    el.updated.dataset.state = reached ? 'ok' : 'failed';
  } catch (err) {
    setText(el.updated, `refresh failed: ${err && err.message ? err.message : err}`);
    el.updated.dataset.state = 'failed';
  } finally {
    st.busy = false;
  }
  if (st.again) {
    st.again = false;
    refresh();
    return;
  }
  schedule();
}

function schedule() {
  clearTimeout(st.timer);
  if (!st.paused && !document.hidden) st.timer = setTimeout(refresh, REFRESH_MS);
}

function refreshNow() {
  clearTimeout(st.timer);
  refresh();
}

el.pause.addEventListener('click', () => {
  st.paused = !st.paused;
  el.pause.setAttribute('aria-pressed', String(st.paused));
  setText(el.pause, st.paused ? 'Resume' : 'Pause');
  if (st.paused) {
    clearTimeout(st.timer);
    setText(el.updated, `paused at ${new Date().toLocaleTimeString()}`);
  } else {
    refreshNow();
  }
});

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && !st.paused) refreshNow();
});

function init() {
  const params = new URLSearchParams(location.search);
  st.prefix = (params.get('prefix') || '').trim();
  el.filter.value = st.prefix;
  const room = (params.get('room') || '').trim();
  if (NAME_RE.test(room)) {
    st.selected = room;
    el.roomInput.value = room;
  }
  refresh();
}

init();
// Every module of the page loaded and ran: the page is ready.
document.documentElement.dataset.ready = 'ops';
