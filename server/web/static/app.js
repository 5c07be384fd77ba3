// chatstate web page: one WebSocket session, several rooms, resume on
// reconnect. Plain DOM; every piece of user data goes in through textContent.

import { NAME_RE, RoomState } from './room.js';

const HISTORY = 50;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 5000;
const STABLE_MS = 5000; // a connection live this long resets the backoff
const PING_MS = 20000;
const STALE_MS = 65000; // no frame for this long: the connection is dead
const ROOMS_POLL_MS = 4000;
const SEND_TIMEOUT_MS = 20000;
const JOIN_RETRY_MS = 3000;
const MAX_FRAME_BYTES = 60000; // the server closes a connection over 64 KiB
const ERROR_SHOW_MS = 15000;

const LS_USER = 'chatstate.user';
const LS_ROOM = 'chatstate.room';

/** Human sentences for the server's error codes. */
const ERROR_TEXT = {
  bad_request: 'The server could not accept that request',
  unauthorized: 'You are not signed in — reload the page to sign in again',
  forbidden: 'You are not allowed to do that',
  not_member: 'You are not in that room — join it first',
  too_large: 'That message is too long (max 4096 bytes)',
  rate_limited: 'You are sending too fast — wait a moment',
  unavailable: 'The chat service is unavailable right now — nothing was saved; try again in a moment',
  internal: 'Something went wrong on the server — try again',
};

// ---------------------------------------------------------------- elements

const $ = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el;
};

const el = {
  joinForm: $('join-form'),
  nameInput: $('name-input'),
  roomInput: $('room-input'),
  status: $('status'),
  roomTitle: $('room-title'),
  roomMeta: $('room-meta'),
  leaveButton: $('leave-button'),
  notice: $('room-notice'),
  scroller: $('scroller'),
  emptyHint: $('empty-hint'),
  messages: $('messages'),
  error: $('error'),
  errorText: $('error-text'),
  errorDetail: $('error-detail'),
  errorClose: $('error-close'),
  sendForm: $('send-form'),
  messageInput: $('message-input'),
  sendButton: $('send-button'),
  joined: $('joined'),
  joinedEmpty: $('joined-empty'),
  rooms: $('rooms'),
  roomsEmpty: $('rooms-empty'),
  members: $('members'),
  membersEmpty: $('members-empty'),
  memberCount: $('member-count'),
};

// ------------------------------------------------------------------ state

const params = new URLSearchParams(location.search);
const token = params.get('token') || '';

const st = {
  /** the identity the connection uses (or will use) */
  user: '',
  session: '',
  epoch: '',
  ws: null,
  /** offline (no name yet), connecting, live, reconnecting */
  conn: 'offline',
  everLive: false,
  attempt: 0,
  liveSince: 0,
  lastFrame: 0,
  reconnectTimer: 0,
  pingTimer: 0,
  /** name -> RoomState */
  rooms: new Map(),
  /** joined rooms in the order they were joined */
  order: [],
  current: null,
  seq: 0,
  /** ref -> {kind: join|leave|send, room, ...} */
  refs: new Map(),
  /** sends whose answer was lost with a connection: confirmed by their event */
  unconfirmed: [],
  /** rooms from /api/rooms, by name */
  roomInfo: new Map(),
  errorTimer: 0,
};

function storageGet(key) {
  try { return localStorage.getItem(key) || ''; } catch { return ''; }
}
function storageSet(key, value) {
  try { localStorage.setItem(key, value); } catch { /* private mode */ }
}

function nextRef(prefix) {
  st.seq += 1;
  return `${prefix}${st.seq}`;
}

function isLive() {
  return st.conn === 'live' && st.ws && st.ws.readyState === WebSocket.OPEN;
}

function sendFrame(frame) {
  if (!isLive()) return false;
  try {
    st.ws.send(JSON.stringify(frame));
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------ connection

function setStatus(conn) {
  st.conn = conn;
  el.status.textContent = conn;
  el.status.dataset.state = conn;
  document.body.dataset.conn = conn;
  renderRoomHead();
  renderComposer();
}

function wsURL() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = token ? `token=${encodeURIComponent(token)}` : `user=${encodeURIComponent(st.user)}`;
  return `${proto}//${location.host}/ws?${q}`;
}

/** Opens a new connection, dropping any current one. */
function connect() {
  clearTimeout(st.reconnectTimer);
  st.reconnectTimer = 0;
  dropSocket();
  setStatus(st.everLive ? 'reconnecting' : 'connecting');
  let ws;
  try {
    ws = new WebSocket(wsURL());
  } catch {
    scheduleReconnect();
    return;
  }
  st.ws = ws;
  st.lastFrame = Date.now();
  ws.onmessage = (ev) => {
    if (st.ws !== ws) return;
    st.lastFrame = Date.now();
    let frame;
    try {
      frame = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (frame && typeof frame === 'object') handleFrame(frame);
  };
  ws.onclose = (ev) => {
    if (st.ws !== ws) return;
    onDisconnect(ev.code, ev.reason);
  };
  ws.onerror = () => { /* onclose follows */ };
}

/** Detaches and closes the current socket without triggering a reconnect. */
function dropSocket() {
  const ws = st.ws;
  if (!ws) return;
  st.ws = null;
  ws.onmessage = ws.onclose = ws.onerror = null;
  try { ws.close(1000, 'bye'); } catch { /* already closed */ }
  forgetConnection();
}

/** What a lost connection takes with it. */
function forgetConnection() {
  clearInterval(st.pingTimer);
  st.pingTimer = 0;
  for (const [ref, p] of st.refs) {
    if (p.kind === 'send') {
      clearTimeout(p.timer);
      st.unconfirmed.push(p);
    }
    st.refs.delete(ref);
  }
  if (st.unconfirmed.length > 50) st.unconfirmed.splice(0, st.unconfirmed.length - 50);
  for (const name of [...st.order]) {
    const room = st.rooms.get(name);
    if (room.state === 'leaving') {
      // The server ends every membership of a closed session.
      removeRoom(name);
    } else {
      room.state = 'joining';
      room.joinRef = null;
      clearTimeout(room.retryTimer);
    }
  }
  renderAll();
}

function onDisconnect(code, reason) {
  st.ws = null;
  forgetConnection();
  if (code === 1009) showError('', 'The connection was closed because a frame was too large — reconnecting', reason);
  else if (code === 4008) showError('', 'The connection fell behind and was closed — reconnecting', reason);
  else if (code === 4009) showError('', 'The server missed events of a room — resuming', reason);
  if (st.liveSince && Date.now() - st.liveSince >= STABLE_MS) st.attempt = 0;
  st.liveSince = 0;
  scheduleReconnect();
}

function scheduleReconnect() {
  setStatus(st.everLive ? 'reconnecting' : 'connecting');
  clearTimeout(st.reconnectTimer);
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** st.attempt);
  const delay = Math.min(BACKOFF_MAX_MS, Math.round(base * (0.8 + Math.random() * 0.4)));
  st.attempt = Math.min(st.attempt + 1, 10);
  st.reconnectTimer = setTimeout(connect, delay);
}

function startHeartbeat() {
  clearInterval(st.pingTimer);
  st.pingTimer = setInterval(() => {
    if (!st.ws) return;
    if (Date.now() - st.lastFrame > STALE_MS) {
      // Nothing heard for too long: treat the connection as gone.
      const ws = st.ws;
      dropSocket();
      if (ws) scheduleReconnect();
      return;
    }
    sendFrame({ op: 'ping', ref: nextRef('p') });
  }, PING_MS);
}

window.addEventListener('online', () => {
  if (st.reconnectTimer) {
    st.attempt = 0;
    connect();
  }
});

// ---------------------------------------------------------------- frames

function handleFrame(f) {
  switch (f.op) {
    case 'hello': return onHello(f);
    case 'snapshot': return onSnapshot(f);
    case 'event': return onEvent(f);
    case 'ack': return onAck(f);
    case 'error': return onError(f);
    case 'pong': return undefined;
    default: return undefined;
  }
}

function onHello(f) {
  st.user = String(f.user || st.user);
  st.session = String(f.session || '');
  st.epoch = String(f.epoch || '');
  st.everLive = true;
  st.liveSince = Date.now();
  if (token && document.activeElement !== el.nameInput) el.nameInput.value = st.user;
  setStatus('live');
  startHeartbeat();
  for (const name of st.order) {
    const room = st.rooms.get(name);
    if (room.state === 'joining') sendJoin(room);
  }
  renderAll();
}

function sendJoin(room) {
  clearTimeout(room.retryTimer);
  const ref = nextRef('j');
  const frame = { op: 'join', room: room.name, history: HISTORY, ref };
  if (room.synced) {
    frame.after = room.cursor;
    frame.epoch = room.epoch || st.epoch;
  }
  room.state = 'joining';
  room.joinRef = ref;
  st.refs.set(ref, { kind: 'join', room: room.name, obj: room });
  sendFrame(frame);
}

function onSnapshot(f) {
  const room = st.rooms.get(f.room);
  if (!room) return;
  if (f.ref !== undefined) st.refs.delete(f.ref);
  if (room.joinRef && f.ref !== undefined && f.ref !== room.joinRef) return; // an older join's
  room.joinRef = null;
  const { reset, added } = room.applySnapshot(f);
  for (const m of added) confirmByEvent(room.name, m);
  if (room.name !== st.current) {
    room.unread += added.filter((m) => m.user !== st.user).length;
  }
  if (room.name === st.current) {
    if (reset) renderMessages(true);
    else for (const m of added) appendMessage(m);
  }
  renderAll();
  refreshRoomsSoon();
}

function onEvent(f) {
  const room = st.rooms.get(f.room);
  if (!room) return;
  const ev = f.event || {};
  const res = room.applyEvent(f.cursor, ev);
  if (!res) return;
  if (res.type === 'message') {
    confirmByEvent(room.name, res.message);
    if (room.name === st.current) appendMessage(res.message);
    else if (res.message.user !== st.user) room.unread += 1;
    renderJoined();
    renderRoomHead();
    refreshRoomsSoon();
    return;
  }
  if (res.type === 'leave' && room.state === 'leaving' && ev.user === st.user && ev.session === st.session) {
    removeRoom(room.name);
    refreshRoomsSoon();
    return;
  }
  if (room.name === st.current) {
    renderMembers();
    renderRoomHead();
  }
  refreshRoomsSoon();
}

function onAck(f) {
  const p = st.refs.get(f.ref);
  if (!p) return;
  st.refs.delete(f.ref);
  if (p.kind === 'send') {
    clearTimeout(p.timer);
    confirmSent(p);
  } else if (p.kind === 'leave') {
    const room = st.rooms.get(p.room);
    if (room && room === p.obj) removeRoom(p.room);
  }
}

function onError(f) {
  const code = String(f.code || '');
  const detail = String(f.message || '');
  const p = f.ref !== undefined ? st.refs.get(f.ref) : undefined;
  if (p) st.refs.delete(f.ref);
  let prefix = '';
  if (p && p.kind === 'join') {
    const room = st.rooms.get(p.room);
    prefix = `Could not join ${p.room}: `;
    if (room && room === p.obj) {
      room.joinRef = null;
      const transient = code === 'unavailable' || code === 'internal';
      if (room.synced && transient) {
        // A rejoin after a reconnect: keep the room and try again.
        room.retryTimer = setTimeout(() => {
          if (isLive() && st.rooms.get(room.name) === room && room.state === 'joining' && !room.joinRef) sendJoin(room);
        }, JOIN_RETRY_MS);
      } else {
        removeRoom(p.room);
      }
    }
  } else if (p && p.kind === 'leave') {
    const room = st.rooms.get(p.room);
    prefix = `Could not leave ${p.room}: `;
    if (room && room === p.obj) {
      if (code === 'not_member') removeRoom(p.room);
      else {
        room.state = room.synced ? 'joined' : 'joining';
        room.leaveRef = null;
        renderAll();
      }
    }
  } else if (p && p.kind === 'send') {
    clearTimeout(p.timer);
    // The text stays in the message box, ready to be sent again.
  }
  showError(code, prefix + (ERROR_TEXT[code] || 'The server reported an error'), detail);
}

// ------------------------------------------------------------- sending

function confirmSent(p) {
  if (p.done) return;
  p.done = true;
  const room = st.rooms.get(p.room);
  if (p.room === st.current) {
    if (el.messageInput.value === p.raw) el.messageInput.value = '';
  } else if (room && room.draft === p.raw) {
    room.draft = '';
  }
  renderComposer();
}

/** A message event of this user's own session settles a send whose ack was lost. */
function confirmByEvent(roomName, m) {
  if (m.user !== st.user) return;
  const pending = [...st.refs.values()].filter((p) => p.kind === 'send');
  for (const p of [...st.unconfirmed, ...pending]) {
    if (!p.done && p.room === roomName && p.session && p.session === m.session && p.text === m.text) {
      confirmSent(p);
      break;
    }
  }
  st.unconfirmed = st.unconfirmed.filter((p) => !p.done);
}

function textBytes(s) {
  return new TextEncoder().encode(s).length;
}

function sendMessage() {
  const raw = el.messageInput.value;
  const text = raw.trim();
  if (!text) return;
  const room = st.current ? st.rooms.get(st.current) : null;
  if (!room) {
    showError('', 'Join a room first');
    return;
  }
  if (!isLive()) {
    showError('', 'You are offline — the message was not sent; it stays in the box until you can send it');
    return;
  }
  if (room.state !== 'joined') {
    showError('', `Wait until you have joined ${room.name} — the message was not sent`);
    return;
  }
  for (const p of st.refs.values()) {
    if (p.kind === 'send' && p.room === room.name && p.raw === raw && !p.done) return; // already on its way
  }
  if (textBytes(text) > MAX_FRAME_BYTES) {
    showError('too_large', ERROR_TEXT.too_large);
    return;
  }
  const ref = nextRef('s');
  const p = { kind: 'send', room: room.name, text, raw, session: st.session, done: false, timer: 0 };
  st.refs.set(ref, p);
  p.timer = setTimeout(() => {
    // No answer: let the user try again.
    if (st.refs.get(ref) === p) {
      st.refs.delete(ref);
      st.unconfirmed.push(p);
      showError('', 'No answer from the server yet — the message may not have been sent');
    }
  }, SEND_TIMEOUT_MS);
  if (!sendFrame({ op: 'send', room: room.name, text, ref })) {
    clearTimeout(p.timer);
    st.refs.delete(ref);
    showError('', 'The message could not be sent — try again');
  }
}

// ------------------------------------------------------------ rooms

function joinRoom(name, focusInput) {
  const existing = st.rooms.get(name);
  if (existing && existing.state !== 'leaving') {
    switchTo(name);
  } else {
    if (existing) removeRoom(name);
    const room = new RoomState(name);
    st.rooms.set(name, room);
    st.order.push(name);
    switchTo(name);
    if (isLive()) sendJoin(room);
  }
  storageSet(LS_ROOM, name);
  if (focusInput) el.messageInput.focus();
}

function leaveRoom(name) {
  const room = st.rooms.get(name);
  if (!room || room.state === 'leaving') return;
  if (!isLive()) {
    // Not connected: the server has no membership of this page's session.
    removeRoom(name);
    return;
  }
  if (room.state === 'joining' && !room.joinRef) {
    removeRoom(name);
    return;
  }
  const ref = nextRef('l');
  room.state = 'leaving';
  room.leaveRef = ref;
  st.refs.set(ref, { kind: 'leave', room: name, obj: room });
  sendFrame({ op: 'leave', room: name, ref });
  renderAll();
}

function removeRoom(name) {
  const room = st.rooms.get(name);
  if (room) clearTimeout(room.retryTimer);
  st.rooms.delete(name);
  const i = st.order.indexOf(name);
  if (i >= 0) st.order.splice(i, 1);
  if (st.current === name) {
    st.current = null;
    const next = st.order[Math.min(i, st.order.length - 1)];
    el.messageInput.value = '';
    if (next) switchTo(next);
    else renderMessages(false);
  }
  renderAll();
}

function switchTo(name) {
  const prev = st.current ? st.rooms.get(st.current) : null;
  if (prev && st.current !== name) prev.draft = el.messageInput.value;
  const room = st.rooms.get(name);
  if (!room) return;
  if (st.current !== name) {
    st.current = name;
    el.messageInput.value = room.draft;
  }
  room.unread = 0;
  renderMessages(true);
  renderAll();
}

// ------------------------------------------------------------ room list

let roomsTimer = 0;
let roomsSoon = 0;
let roomsBusy = false;

async function refreshRooms() {
  if (roomsBusy) return;
  roomsBusy = true;
  try {
    const res = await fetch('/api/rooms', { cache: 'no-store', headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = await res.json();
    const list = Array.isArray(body.rooms) ? body.rooms : [];
    renderRoomList(list);
  } catch {
    el.roomsEmpty.textContent = 'The room list is unavailable right now — retrying.';
    el.roomsEmpty.hidden = false;
  } finally {
    roomsBusy = false;
  }
}

function refreshRoomsSoon() {
  if (roomsSoon) return;
  roomsSoon = setTimeout(() => {
    roomsSoon = 0;
    refreshRooms();
  }, 600);
}

function startRoomPolling() {
  refreshRooms();
  clearInterval(roomsTimer);
  roomsTimer = setInterval(() => {
    // While the connection is down the server is likely down too.
    if (!document.hidden && st.conn !== 'reconnecting') refreshRooms();
  }, ROOMS_POLL_MS);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refreshRooms();
  });
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/** Updates the room list in place, so that a focused entry keeps its focus. */
function renderRoomList(list) {
  const seen = new Set();
  let prev = null;
  for (const r of list) {
    if (!r || typeof r.room !== 'string') continue;
    const name = r.room;
    seen.add(name);
    st.roomInfo.set(name, r);
    let li = el.rooms.querySelector(`li[data-room="${CSS.escape(name)}"]`);
    if (!li) {
      li = document.createElement('li');
      li.dataset.room = name;
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'room-btn';
      const nm = document.createElement('span');
      nm.className = 'room-name';
      nm.textContent = name;
      const counts = document.createElement('span');
      counts.className = 'room-counts';
      btn.append(nm, counts);
      btn.addEventListener('click', () => {
        el.roomInput.value = name;
        if (!startIdentity()) return;
        joinRoom(name, false);
      });
      li.append(btn);
    }
    const members = Number(r.members) || 0;
    const messages = Number(r.messages) || 0;
    const counts = li.querySelector('.room-counts');
    const text = `${plural(members, 'member', 'members')} · ${plural(messages, 'message', 'messages')}`;
    if (counts.textContent !== text) counts.textContent = text;
    const btn = li.querySelector('button');
    const joined = st.rooms.has(name);
    btn.classList.toggle('is-joined', joined);
    btn.setAttribute('aria-label', `${name}: ${text}${joined ? ', joined' : ''}`);
    const want = prev ? prev.nextSibling : el.rooms.firstChild;
    if (want !== li) el.rooms.insertBefore(li, want);
    prev = li;
  }
  for (const li of [...el.rooms.children]) {
    if (!seen.has(li.dataset.room)) li.remove();
  }
  el.roomsEmpty.textContent = 'No rooms yet — create one by joining it.';
  el.roomsEmpty.hidden = el.rooms.children.length > 0;
}

function markJoinedInRoomList() {
  for (const li of el.rooms.children) {
    const btn = li.querySelector('button');
    if (btn) btn.classList.toggle('is-joined', st.rooms.has(li.dataset.room));
  }
}

// ------------------------------------------------------------ rendering

function renderAll() {
  renderJoined();
  renderRoomHead();
  renderMembers();
  renderComposer();
  markJoinedInRoomList();
  const unread = st.order.reduce((n, name) => n + st.rooms.get(name).unread, 0);
  document.title = unread > 0 ? `(${unread}) chatstate` : st.current ? `${st.current} · chatstate` : 'chatstate';
}

function renderJoined() {
  const focusedRoom = document.activeElement && document.activeElement.closest
    ? document.activeElement.closest('#joined li')?.dataset.room
    : undefined;
  el.joined.replaceChildren();
  for (const name of st.order) {
    const room = st.rooms.get(name);
    const li = document.createElement('li');
    li.dataset.room = name;
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'joined-btn';
    if (name === st.current) btn.setAttribute('aria-current', 'true');
    const nm = document.createElement('span');
    nm.className = 'room-name';
    nm.textContent = name;
    btn.append(nm);
    let label = name;
    if (room.state !== 'joined') {
      const s = document.createElement('span');
      s.className = 'room-state';
      s.textContent = room.state === 'leaving' ? 'leaving…' : 'joining…';
      btn.append(s);
      label += `, ${s.textContent}`;
    }
    if (room.unread > 0) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.dataset.testid = 'unread';
      badge.textContent = room.unread > 99 ? '99+' : String(room.unread);
      btn.append(badge);
      label += `, ${room.unread} unread`;
    }
    btn.setAttribute('aria-label', label);
    btn.addEventListener('click', () => switchTo(name));
    li.append(btn);
    el.joined.append(li);
    if (focusedRoom === name) btn.focus();
  }
  el.joinedEmpty.hidden = st.order.length > 0;
}

function renderRoomHead() {
  const room = st.current ? st.rooms.get(st.current) : null;
  if (!room) {
    el.roomTitle.textContent = st.order.length ? 'Pick a room' : 'No room yet';
    el.roomMeta.textContent = 'Pick a name and a room, then press Join.';
    el.leaveButton.hidden = true;
    el.notice.hidden = true;
    el.emptyHint.hidden = true;
    return;
  }
  el.roomTitle.textContent = room.name;
  let meta;
  if (room.state === 'leaving') meta = 'Leaving…';
  else if (room.state === 'joining') meta = st.conn === 'live' ? 'Joining…' : 'Waiting for the connection…';
  else meta = `${plural(room.members.size, 'member', 'members')} · ${plural(room.messageCount, 'message', 'messages')}`;
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
  el.emptyHint.hidden = room.messages.length > 0;
}

function renderComposer() {
  const room = st.current ? st.rooms.get(st.current) : null;
  const usable = !!room && room.state !== 'leaving';
  el.messageInput.disabled = !usable;
  el.sendButton.disabled = !usable;
  el.messageInput.placeholder = !room
    ? 'Join a room to write'
    : st.conn === 'live' ? `Message ${room.name}` : 'Offline — messages wait here until you are back';
}

function renderMembers() {
  const room = st.current ? st.rooms.get(st.current) : null;
  el.members.replaceChildren();
  const list = room && room.synced ? room.memberList() : [];
  for (const m of list) {
    const li = document.createElement('li');
    li.className = 'member';
    li.dataset.user = m.user;
    li.dataset.sessions = String(m.sessions);
    if (m.user === st.user) li.classList.add('is-me');
    li.title = m.sessions > 1 ? `${m.user}: ${m.sessions} sessions` : m.user;
    li.textContent = m.user;
    el.members.append(li);
  }
  el.memberCount.textContent = room && room.synced ? `(${list.length})` : '';
  el.membersEmpty.textContent = room ? 'Nobody here yet.' : 'Join a room to see who is there.';
  el.membersEmpty.hidden = list.length > 0;
}

function formatTime(ts) {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return { short: '', long: '' };
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const short = sameDay ? time : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
  return { short, long: d.toLocaleString() };
}

function messageElement(m) {
  const li = document.createElement('li');
  li.className = 'msg';
  li.dataset.cursor = String(m.cursor);
  li.dataset.user = m.user;
  const own = m.user === st.user;
  if (own) {
    li.classList.add('is-own');
    li.dataset.own = 'true';
  }
  const head = document.createElement('div');
  head.className = 'msg-head';
  const author = document.createElement('span');
  author.className = 'msg-author';
  author.textContent = m.user;
  head.append(author);
  if (own) {
    const you = document.createElement('span');
    you.className = 'msg-you';
    you.textContent = 'you';
    head.append(you);
  }
  const t = formatTime(m.ts);
  const time = document.createElement('time');
  time.className = 'msg-time';
  time.dateTime = m.ts;
  time.textContent = t.short;
  time.title = t.long;
  head.append(time);
  const body = document.createElement('p');
  body.className = 'msg-text';
  body.textContent = m.text;
  li.append(head, body);
  return li;
}

function nearBottom() {
  const s = el.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 120;
}

function scrollToBottom() {
  el.scroller.scrollTop = el.scroller.scrollHeight;
}

/** Rebuilds the message list of the current room. */
function renderMessages(toBottom) {
  const room = st.current ? st.rooms.get(st.current) : null;
  const frag = document.createDocumentFragment();
  if (room) for (const m of room.messages) frag.append(messageElement(m));
  el.messages.replaceChildren(frag);
  el.messages.setAttribute('aria-label', room ? `Messages in ${room.name}` : 'Messages');
  renderRoomHead();
  if (toBottom) scrollToBottom();
}

/** Appends one message of the current room. */
function appendMessage(m) {
  const room = st.rooms.get(st.current);
  const stick = nearBottom() || m.user === st.user;
  el.messages.append(messageElement(m));
  // Keep the list as long as the room's memory.
  while (room && el.messages.children.length > room.messages.length) el.messages.firstChild.remove();
  el.emptyHint.hidden = true;
  if (stick) scrollToBottom();
}

// ------------------------------------------------------------ errors

function showError(code, sentence, detail = '') {
  clearTimeout(st.errorTimer);
  el.error.dataset.code = code || 'client';
  el.errorText.textContent = sentence;
  el.errorDetail.textContent = detail ? `(${detail})` : '';
  el.error.hidden = false;
  st.errorTimer = setTimeout(hideError, ERROR_SHOW_MS);
}

function hideError() {
  clearTimeout(st.errorTimer);
  el.error.hidden = true;
}

el.errorClose.addEventListener('click', () => {
  hideError();
  el.messageInput.focus();
});

// ------------------------------------------------------------ identity

/**
 * Checks the name in the form and connects as that user when not already
 * connected as them. Returns false when the name is not usable.
 */
function startIdentity() {
  if (token) {
    if (!st.ws && !st.reconnectTimer) connect();
    return true;
  }
  const name = el.nameInput.value.trim();
  el.nameInput.value = name;
  if (!NAME_RE.test(name)) {
    showError('', 'Choose a name of letters, digits, ".", "_" or "-" (up to 64 characters, starting with a letter or digit)');
    el.nameInput.setAttribute('aria-invalid', 'true');
    el.nameInput.focus();
    return false;
  }
  el.nameInput.removeAttribute('aria-invalid');
  storageSet(LS_USER, name);
  if (name !== st.user) {
    st.user = name;
    st.everLive = false;
    st.attempt = 0;
    st.unconfirmed = [];
    connect();
    renderMessages(false); // "own" marks follow the name
  } else if (!st.ws && !st.reconnectTimer) {
    connect();
  }
  return true;
}

// ------------------------------------------------------------ wiring

el.joinForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (!startIdentity()) return;
  const room = el.roomInput.value.trim();
  el.roomInput.value = room;
  if (!NAME_RE.test(room)) {
    showError('', 'Choose a room name of letters, digits, ".", "_" or "-" (up to 64 characters, starting with a letter or digit)');
    el.roomInput.setAttribute('aria-invalid', 'true');
    el.roomInput.focus();
    return;
  }
  el.roomInput.removeAttribute('aria-invalid');
  joinRoom(room, true);
});

el.sendForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  sendMessage();
});

el.leaveButton.addEventListener('click', () => {
  if (st.current) leaveRoom(st.current);
});

el.scroller.addEventListener('keydown', (ev) => {
  if (ev.key === 'End') scrollToBottom();
});

function init() {
  const user = params.get('user') || storageGet(LS_USER);
  const room = params.get('room') || storageGet(LS_ROOM);
  if (user) el.nameInput.value = user;
  if (room) el.roomInput.value = room;
  if (params.get('user')) storageSet(LS_USER, params.get('user'));
  if (params.get('room')) storageSet(LS_ROOM, params.get('room'));
  if (token) {
    el.nameInput.readOnly = true;
    el.nameInput.value = '';
    el.nameInput.placeholder = 'signed in with a token';
  }
  renderAll();
  // Connect straight away when the name is known, so that the state shows.
  if (token || NAME_RE.test(el.nameInput.value.trim())) {
    if (!token) st.user = el.nameInput.value.trim();
    connect();
    // A link that names both the user (or has a token) and the room, such
    // as /?user=alice&room=lobby, joins the room without a press on Join.
    const linked = (params.get('room') || '').trim();
    if ((token || params.get('user')) && NAME_RE.test(linked)) joinRoom(linked, true);
  } else {
    setStatus('offline');
  }
  startRoomPolling();
}

init();
