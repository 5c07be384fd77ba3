// chatstate chat page: one WebSocket session (the chatstate-client module,
// through client.js), several rooms, resume on reconnect, unread counts from
// the server with read markers moved as the user reads, and the edits,
// deletes and reactions of messages, and rooms with rules (rules-page.js).
// This module owns the page's state and wires the client, the identity and
// the views together; page-render.js shows the state. Every piece of user
// data goes in through textContent.

import { Outbox, startClient as openClient } from './client.js';
import { elements } from './dom.js';
import { ErrorBar, errorSentence } from './errors.js';
import { foldEvent, foldSnapshot, messageActions } from './feed.js';
import { RoomListPoller } from './http.js';
import { readIdentity, rememberRoom, rememberUser } from './identity.js';
import { isDMName } from './dms.js';
import { PageRender } from './page-render.js';
import { isName } from './protocol.js';
import { Reader } from './reading.js';
import { RulesPage, ruleElements } from './rules-page.js';
import { MessageList } from './view-messages.js';
import { renderRoomList, roomListFailed } from './view-rooms.js';

const ROOMS_POLL_MS = 4000;
const ERROR_SHOW_MS = 15000;
/** At most one round of read markers per this long. */
const READ_GAP_MS = 1000;

// ---------------------------------------------------------------- elements

const el = elements({
  joinForm: 'join-form',
  nameInput: 'name-input',
  roomInput: 'room-input',
  status: 'status',
  roomTitle: 'room-title',
  roomMeta: 'room-meta',
  leaveButton: 'leave-button',
  notice: 'room-notice',
  scroller: 'scroller',
  emptyHint: 'empty-hint',
  messages: 'messages',
  sendForm: 'send-form',
  messageInput: 'message-input',
  sendButton: 'send-button',
  joined: 'joined',
  joinedEmpty: 'joined-empty',
  rooms: 'rooms',
  roomsEmpty: 'rooms-empty',
  members: 'members',
  membersEmpty: 'members-empty',
  memberCount: 'member-count',
});

const rel = ruleElements();
const errorBar = new ErrorBar({ showMs: ERROR_SHOW_MS, onDismiss: () => el.messageInput.focus() });
const showError = (code, sentence, detail = '') => errorBar.show(code, sentence, detail);
const messageList = new MessageList(el.messages, el.scroller, messageActions(() => currentView()?.room || null, showError));

// ------------------------------------------------------------------ state

const identity = readIdentity(location.search);
const token = identity.token;

/**
 * A joined room as the page keeps it.
 * @typedef {object} View
 * @property {string} name
 * @property {import('./chatstate-client/index.js').Room} room
 * @property {import('./view-messages.js').Message[]} messages shown, oldest first
 * @property {string} draft text in the message box while another room is shown
 */

/** @type {import('./chatstate-client/index.js').Client|null} none until the page has a name (or a token) */
let client = null;
/** @type {Map<string, View>} */
const views = new Map();
/** joined rooms in the order they were joined */
const order = [];
/** @type {string|null} the room shown */
let current = null;
const outbox = new Outbox({ onSent: confirmSent, showError, onRefused });
const reader = new Reader({
  gapMs: READ_GAP_MS,
  send: (name, cursor) => (views.has(name) ? views.get(name).room.read(cursor) : Promise.reject(new Error('left'))),
  canSee: () => document.visibilityState === 'visible' && document.hasFocus() && messageList.nearBottom(),
  marked: () => {
    render.joinedRooms();
    render.title();
  },
});

const conn = () => (client ? client.state : 'offline');
const me = () => (client ? client.user : '');
const isLive = () => !!client && client.live;
const isJoined = (name) => views.has(name);

// ------------------------------------------------------------ rendering

const currentView = () => (current ? views.get(current) || null : null);
const render = new PageRender(el, rel, messageList, reader, () => rules, {
  views,
  order,
  current: () => current,
  currentView,
  me,
  conn,
  switchTo,
  markRead,
});

function renderAll() {
  render.all();
}

const rules = new RulesPage({ ...rel, messageInput: el.messageInput }, {
  current: () => currentView(),
  me,
  join: (name) => joinRoom(name, true),
  openDM,
  showError,
  render: () => renderAll(),
});

const poller = new RoomListPoller({
  intervalMs: ROOMS_POLL_MS,
  // While the connection is down the server is likely down too.
  paused: () => conn() === 'reconnecting',
  onRooms: (list) => renderRoomList(el, list, isJoined, pickListedRoom),
  onFailure: () => roomListFailed(el),
});

// ------------------------------------------------------------ connection

function setStatus(state) {
  el.status.textContent = state;
  el.status.dataset.state = state;
  document.body.dataset.conn = state;
}

/** Creates the client, for user (or for the token), and connects. */
function startClient(user) {
  client = openClient({ user, token }, {
    onState: (state) => {
      setStatus(state);
      renderAll();
    },
    onHello: (h) => {
      if (token && document.activeElement !== el.nameInput) el.nameInput.value = h.user;
    },
    showError,
  });
  client.on('invited', (f) => rules.invited(f));
}

// ------------------------------------------------------------ rooms

/** Follows the client's room into the page's view of it. */
function watch(v) {
  const { room } = v;
  const mine = () => views.get(v.name) === v;
  room.on('state', () => {
    if (mine()) renderAll();
  });
  room.on('snapshot', (s) => {
    if (!mine()) return;
    render.fold(v, foldSnapshot(v.messages, s));
    renderAll();
    poller.soon();
  });
  room.on('event', (entry) => {
    if (!mine()) return;
    const ev = entry.event;
    if (ev.type === 'message') rules.typing.stopped(v.name, ev.user);
    if (ev.type === 'mute' && ev.target === me()) v.mutedHint = !!ev.on;
    const fold = foldEvent(v.messages, entry);
    render.fold(v, fold);
    if (fold.added.length) render.joinedRooms();
    if (v.name === current) render.head();
    poller.soon();
  });
  room.on('unread', () => {
    if (!mine()) return;
    render.joinedRooms();
    render.title();
    if (v.name === current) markRead();
  });
  room.on('members', () => {
    if (mine() && v.name === current) render.members();
  });
  room.on('rules', () => {
    if (mine()) renderAll();
  });
  room.on('typing', (f) => {
    if (mine()) rules.typing.seen(v.name, String(f.user));
  });
  room.on('error', (err) => {
    showError(err.code, `Could not join ${v.name}: ${errorSentence(err.code)}`, err.detail);
  });
  room.on('confirmed', ({ ref }) => outbox.confirmed(ref));
  room.on('left', (why) => {
    rules.left(v.name, render.labelOf(v), why);
    if (mine()) removeView(v.name);
    poller.soon();
  });
}

/** Shows the room of that name, joined by open() unless it is. */
function showRoom(name, open, peer = '') {
  const existing = views.get(name);
  if (existing && existing.room.state !== 'leaving') {
    switchTo(name);
  } else {
    if (existing) removeView(name);
    const v = { name, room: open(), messages: [], draft: '', peer, mutedHint: false };
    views.set(name, v);
    order.push(name);
    watch(v);
    switchTo(name);
  }
}

function joinRoom(name, focusInput) {
  showRoom(name, () => client.join(name));
  if (!isDMName(name)) rememberRoom(name);
  if (focusInput) el.messageInput.focus();
}

/** Opens the direct room with user; shown at once when focus, else only listed. */
function openDM(user, focus) {
  if (!client || !client.user) return;
  const shown = current;
  const room = client.dm(user);
  showRoom(room.name, () => room, user);
  if (!focus && shown && shown !== room.name) switchTo(shown);
  if (focus) el.messageInput.focus();
}

/** A send refused by the server: a muted user learns it so. */
function onRefused(roomName, code) {
  const v = views.get(roomName);
  if (v && code === 'forbidden') {
    v.mutedHint = true;
    renderAll();
  }
}

function leaveRoom(name) {
  const v = views.get(name);
  if (!v || v.room.state === 'leaving') return;
  v.room.leave().catch((err) => {
    showError(err.code, `Could not leave ${name}: ${errorSentence(err.code)}`, err.detail);
  });
  renderAll();
}

function removeView(name) {
  views.delete(name);
  rules.typing.forget(name);
  reader.markers.forget(name);
  const i = order.indexOf(name);
  if (i >= 0) order.splice(i, 1);
  if (current === name) {
    current = null;
    const next = order[Math.min(i, order.length - 1)];
    el.messageInput.value = '';
    if (next) switchTo(next);
    else render.messages(false);
  }
  renderAll();
}

function switchTo(name) {
  const prev = current ? views.get(current) : null;
  if (prev && current !== name) prev.draft = el.messageInput.value;
  const v = views.get(name);
  if (!v) return;
  if (current !== name) {
    current = name;
    el.messageInput.value = v.draft;
  }
  render.messages(true);
  rules.typing.show(name);
  renderAll();
  markRead();
}

function pickListedRoom(name) {
  el.roomInput.value = name;
  if (!startIdentity()) return;
  joinRoom(name, false);
}

// ------------------------------------------------------------- sending

/** The message box empties once its text is written. */
function confirmSent(roomName, raw) {
  const v = views.get(roomName);
  if (roomName === current) {
    if (el.messageInput.value === raw) el.messageInput.value = '';
  } else if (v && v.draft === raw) {
    v.draft = '';
  }
  render.composer();
}

function sendMessage() {
  const raw = el.messageInput.value;
  const text = raw.trim();
  if (!text) return;
  const v = current ? views.get(current) : null;
  if (!v) {
    showError('', 'Join a room first');
    return;
  }
  if (!client) {
    showError('', 'You are offline — the message was not sent; it stays in the box until you can send it');
    return;
  }
  outbox.send(v.room, raw);
}

/** Marks the room shown as read as far as the user sees it (see reading.js). */
function markRead() {
  reader.mark(currentView(), me());
}

// ------------------------------------------------------------ identity

/**
 * Checks the name in the form and connects as that user when not already
 * connected as them. Returns false when the name is not usable.
 */
function startIdentity() {
  if (token) {
    if (!client) startClient('');
    return true;
  }
  const name = el.nameInput.value.trim();
  el.nameInput.value = name;
  if (!isName(name)) {
    showError('', 'Choose a name of letters, digits, ".", "_" or "-" (up to 64 characters, starting with a letter or digit)');
    el.nameInput.setAttribute('aria-invalid', 'true');
    el.nameInput.focus();
    return false;
  }
  el.nameInput.removeAttribute('aria-invalid');
  rememberUser(name);
  if (!client) {
    startClient(name);
    render.messages(false); // "own" marks follow the name
  } else if (name !== client.user) {
    client.setIdentity({ user: name });
    outbox.clear();
    reader.markers.clear();
    render.messages(false);
  }
  return true;
}

// ------------------------------------------------------------ wiring

el.joinForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (!startIdentity()) return;
  const room = el.roomInput.value.trim();
  el.roomInput.value = room;
  if (!isName(room)) {
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
  if (current) leaveRoom(current);
});

// Reading: the user looks at the room again, or scrolls to its end.
el.scroller.addEventListener('scroll', markRead, { passive: true });
window.addEventListener('focus', markRead);
document.addEventListener('visibilitychange', markRead);

function init() {
  if (identity.user) el.nameInput.value = identity.user;
  if (identity.room) el.roomInput.value = identity.room;
  if (token) {
    el.nameInput.readOnly = true;
    el.nameInput.value = '';
    el.nameInput.placeholder = 'signed in with a token';
  }
  renderAll();
  // Connect straight away when the name is known, so that the state shows.
  if (token || isName(el.nameInput.value.trim())) {
    startClient(token ? '' : el.nameInput.value.trim());
    // A link that names both the user (or has a token) and the room, such
    // as /?user=alice&room=lobby, joins the room without a press on Join.
    if ((token || identity.linkUser) && isName(identity.linkRoom)) joinRoom(identity.linkRoom, true);
  } else {
    setStatus('offline');
  }
  poller.start();
}

init();
// Every module of the page loaded and ran: the page is ready.
document.documentElement.dataset.ready = 'chat';
