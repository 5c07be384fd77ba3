// A client of the chatstate WebSocket protocol: one connection, any number of
// rooms, and a resume from every room's cursor after a dropped connection, so
// that a room's events come once each and in order, without gaps.
//
// It needs a WebSocket (the browser's, or one passed in) and nothing of the
// DOM. Usage:
//
//   import { connect } from './client.js';
//   const client = connect({ user: 'alice' });
//   client.on('state', (s) => console.log('connection', s));
//   const room = client.join('lobby', { history: 50 });
//   room.on('snapshot', (s) => show(s.events, s.reset));
//   room.on('event', (e) => show([e], false));
//   room.on('members', (list) => showMembers(list));
//   const { cursor } = await room.send('hello');
//   await room.leave();

import { utf8Length } from './protocol.js';
import { RoomState } from './room.js';

/**
 * Settings of a client; every one is optional.
 * @typedef {object} ClientOptions
 * @property {string} [url] the WebSocket endpoint; default `/ws` of the
 *   page's host (ws: or wss: as the page's http: or https:). An http(s): URL
 *   is turned into ws(s):.
 * @property {string} [user] the user name, sent as `?user=` (a server
 *   without an auth secret)
 * @property {string} [token] a JWT, sent as `?token=` instead of the user
 *   (a server with `--auth-secret`); the user is then the one `hello` names
 * @property {number} [history=50] messages a fresh join asks for (at most 500)
 * @property {number} [backoffMinMs=250] first delay before a reconnect
 * @property {number} [backoffMaxMs=5000] the longest delay between reconnects
 * @property {number} [stableMs=5000] a connection live this long starts the
 *   backoff over
 * @property {number} [pingMs=20000] interval of the pings
 * @property {number} [staleMs=65000] no frame for this long: the connection
 *   is taken as dead and replaced
 * @property {number} [ackTimeoutMs=20000] how long a send or a ping waits for
 *   its answer
 * @property {number} [joinRetryMs=3000] delay before a rejoin refused with
 *   `unavailable` or `internal` is tried again
 * @property {number} [maxTextBytes=60000] the longest text `send` hands to the
 *   server (which refuses over 4096 bytes with `too_large`); a frame over
 *   64 KiB would cost the connection
 * @property {typeof WebSocket} [WebSocket] the WebSocket class to use
 */

const DEFAULTS = {
  history: 50,
  backoffMinMs: 250,
  backoffMaxMs: 5000,
  stableMs: 5000,
  pingMs: 20000,
  staleMs: 65000,
  ackTimeoutMs: 20000,
  joinRetryMs: 3000,
  maxTextBytes: 60000,
};

/** Sends whose answer was lost that are still looked for in the events. */
const MAX_UNCONFIRMED = 50;

/**
 * The error a promise of the client rejects with, and the payload of the
 * `error` events.
 *
 * `code` is one of the server's error codes (`bad_request`, `unauthorized`,
 * `forbidden`, `not_member`, `not_found`, `too_large`, `rate_limited`,
 * `unavailable`, `internal`), with `message` the server's words, or one of
 * the client's own:
 * - `offline`: no live connection; nothing was sent
 * - `not_joined`: the room is not joined (yet, or any more); nothing was sent
 * - `too_large`: the text is over `maxTextBytes`; nothing was sent
 * - `send_failed`: the socket refused the frame; nothing was sent
 * - `timeout`: no answer within `ackTimeoutMs`; the request may still have
 *   been done (for a send, a later `confirmed` event of the room tells)
 * - `disconnected`: the connection ended before the answer; as for `timeout`
 * - `closed`: the client was closed
 */
export class ChatError extends Error {
  /**
   * @param {string} code
   * @param {string} [message]
   * @param {string} [ref] the ref of the request it answers
   */
  constructor(code, message = '', ref = undefined) {
    super(message || code);
    this.name = 'ChatError';
    /** @type {string} */
    this.code = code;
    /** @type {string} the server's message, or empty */
    this.detail = message;
    /** @type {string|undefined} */
    this.ref = ref;
    /** for a failed join: true when the client joins again by itself */
    this.retrying = false;
  }
}

/** A minimal event emitter. */
export class Emitter {
  constructor() {
    /** @type {Map<string, Set<Function>>} */
    this._listeners = new Map();
  }

  /**
   * Calls fn with the payload of every `type` event from now on.
   * @param {string} type
   * @param {Function} fn
   * @returns {() => void} a function that removes the listener
   */
  on(type, fn) {
    let set = this._listeners.get(type);
    if (!set) this._listeners.set(type, (set = new Set()));
    set.add(fn);
    return () => this.off(type, fn);
  }

  /**
   * Removes a listener added with `on`.
   * @param {string} type
   * @param {Function} fn
   */
  off(type, fn) {
    const set = this._listeners.get(type);
    if (set) set.delete(fn);
  }

  /**
   * Calls the listeners of type with payload. A listener that throws does not
   * stop the others nor the client: its error is thrown again on its own.
   * @param {string} type
   * @param {*} payload
   */
  emit(type, payload) {
    const set = this._listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(payload);
      } catch (err) {
        queueMicrotask(() => { throw err; });
      }
    }
  }
}

/**
 * Opens a client and starts connecting.
 * @param {ClientOptions} [options]
 * @returns {Client}
 */
export function connect(options = {}) {
  const c = new Client(options);
  c.open();
  return c;
}

/**
 * One WebSocket session that comes back by itself: on a dropped connection it
 * reconnects with exponential backoff and jitter and joins every room again,
 * resuming each from its cursor (`after` and `epoch`), so that a room's
 * listeners see every event once and in order. A snapshot that could not
 * resume (another epoch, or events lost to retention) says so with `reset`
 * and `truncated`.
 *
 * Events (`client.on(type, fn)`):
 * - `state`: the connection state, a string: `connecting` (before the first
 *   `hello`), `live`, `reconnecting` (after a connection was lost), `closed`
 *   (after `close()`); `idle` before `open()`
 * - `hello`: `{user, session, server, epoch}` from each new connection,
 *   before `state` turns `live`
 * - `disconnect`: `{code, reason}` when a connection ended other than by
 *   `close()` or `setIdentity()`: 1009 (a frame too large), 4008 (the client
 *   read too slowly), 4009 (the server lost events of a room: the rooms are
 *   resumed and their snapshots say `truncated`), 1001 (the server shut
 *   down), 0 (no frame within `staleMs`), or another close code. A reconnect
 *   follows in every case.
 * - `error`: a {@link ChatError} for an `error` frame that answers no request
 *   of the client
 * - `frame`: any frame of an op the client does not handle itself, such as
 *   `unread`, `invited`, `typing`
 */
export class Client extends Emitter {
  /** @param {ClientOptions} [options] */
  constructor(options = {}) {
    super();
    this.options = { ...DEFAULTS, ...options };
    /** @type {string} the user: the one given, then the one `hello` names */
    this.user = String(options.user || '');
    /** @type {string} the token, when the identity is a token */
    this.token = String(options.token || '');
    /** @type {string} the session of the current connection */
    this.session = '';
    /** @type {string} the server's epoch, from the last `hello` */
    this.epoch = '';
    /** @type {string} see the `state` event */
    this.state = 'idle';
    this._ws = null;
    this._everLive = false;
    this._attempt = 0;
    this._liveSince = 0;
    this._lastFrame = 0;
    this._reconnectTimer = 0;
    this._pingTimer = 0;
    this._seq = 0;
    /** @type {Map<string, Room>} */
    this._rooms = new Map();
    /** ref -> pending request */
    this._refs = new Map();
    /** sends whose answer was lost: confirmed by their event */
    this._unconfirmed = [];
    this._onOnline = () => {
      if (this._reconnectTimer) {
        this._attempt = 0;
        this._connect();
      }
    };
  }

  /** Whether the connection is live: frames can be sent now. */
  get live() {
    return this.state === 'live' && !!this._ws && this._ws.readyState === 1;
  }

  /**
   * Starts connecting, unless already connecting or connected.
   * @returns {Client} this
   */
  open() {
    if (this.state === 'closed') throw new Error('client: open after close');
    if (this._ws || this._reconnectTimer) return this;
    if (typeof window !== 'undefined' && window.addEventListener) window.addEventListener('online', this._onOnline);
    this._connect();
    return this;
  }

  /**
   * Connects again as another identity: the current connection is closed,
   * the backoff starts over, and every room is joined again as the new user
   * (resuming from its cursor). The state goes to `connecting`.
   * @param {{user?: string, token?: string}} identity
   */
  setIdentity({ user = '', token = '' }) {
    this.user = String(user);
    this.token = String(token);
    this._everLive = false;
    this._attempt = 0;
    this._unconfirmed = [];
    if (this.state === 'closed') return;
    if (this.state === 'idle') this.open();
    else this._connect();
  }

  /**
   * Joins a room, or returns the room already joined under that name. The
   * join is sent at once when live, else as soon as the connection is. A room
   * being left is let go (its `leave()` resolves) and joined afresh.
   * @param {string} name
   * @param {{history?: number}} [opts] history: messages of the first
   *   snapshot (default the client's `history`)
   * @returns {Room}
   */
  join(name, opts = {}) {
    const existing = this._rooms.get(name);
    if (existing && existing.state !== 'leaving') return existing;
    if (existing) this._removeRoom(existing);
    const room = new Room(this, name, opts.history ?? this.options.history);
    this._rooms.set(name, room);
    if (this.live) this._sendJoin(room);
    return room;
  }

  /**
   * The room joined (or being joined or left) under name.
   * @param {string} name
   * @returns {Room|undefined}
   */
  room(name) {
    return this._rooms.get(name);
  }

  /**
   * The rooms, in the order they were joined.
   * @returns {Room[]}
   */
  rooms() {
    return [...this._rooms.values()];
  }

  /**
   * Sends a ping.
   * @returns {Promise<number>} resolves with the round trip in milliseconds
   *   when the `pong` comes; rejects with a {@link ChatError} `offline`,
   *   `send_failed`, `timeout` or `disconnected`
   */
  ping() {
    if (!this.live) return Promise.reject(new ChatError('offline', 'not connected'));
    const ref = this._nextRef('p');
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const p = { kind: 'ping', resolve: () => resolve(Date.now() - started), reject, timer: 0 };
      this._refs.set(ref, p);
      p.timer = setTimeout(() => {
        if (this._refs.get(ref) !== p) return;
        this._refs.delete(ref);
        reject(new ChatError('timeout', 'no pong', ref));
      }, this.options.ackTimeoutMs);
      if (!this._sendFrame({ op: 'ping', ref })) {
        clearTimeout(p.timer);
        this._refs.delete(ref);
        reject(new ChatError('send_failed', 'the socket refused the ping', ref));
      }
    });
  }

  /**
   * Closes the connection for good: no reconnect, every pending request
   * rejects with `closed`, every room turns `left`. The state turns `closed`.
   */
  close() {
    if (this.state === 'closed') return;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = 0;
    if (typeof window !== 'undefined' && window.removeEventListener) window.removeEventListener('online', this._onOnline);
    this._dropSocket('closed');
    for (const room of [...this._rooms.values()]) this._removeRoom(room);
    this._unconfirmed = [];
    this._setState('closed');
  }

  // ------------------------------------------------------------ internals

  _nextRef(prefix) {
    this._seq += 1;
    return `${prefix}${this._seq}`;
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  _sendFrame(frame) {
    if (!this.live) return false;
    try {
      this._ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  _url() {
    const base = typeof location !== 'undefined' ? location.href : 'http://localhost/';
    let url;
    if (this.options.url) {
      url = new URL(this.options.url, base);
    } else {
      url = new URL('/ws', base);
    }
    if (url.protocol === 'http:') url.protocol = 'ws:';
    else if (url.protocol === 'https:') url.protocol = 'wss:';
    url.searchParams.delete('user');
    url.searchParams.delete('token');
    if (this.token) url.searchParams.set('token', this.token);
    else url.searchParams.set('user', this.user);
    return url.toString();
  }

  /** Opens a new connection, dropping any current one. */
  _connect() {
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = 0;
    this._dropSocket('disconnected');
    this._setState(this._everLive ? 'reconnecting' : 'connecting');
    const WS = this.options.WebSocket || globalThis.WebSocket;
    let ws;
    try {
      ws = new WS(this._url());
    } catch {
      this._scheduleReconnect();
      return;
    }
    this._ws = ws;
    this._lastFrame = Date.now();
    ws.onmessage = (ev) => {
      if (this._ws !== ws) return;
      this._lastFrame = Date.now();
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (frame && typeof frame === 'object') this._handleFrame(frame);
    };
    ws.onclose = (ev) => {
      if (this._ws !== ws) return;
      this._onDisconnect(ev.code, ev.reason);
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  /** Detaches and closes the current socket without triggering a reconnect. */
  _dropSocket(why) {
    const ws = this._ws;
    if (!ws) return;
    this._ws = null;
    ws.onmessage = ws.onclose = ws.onerror = null;
    try { ws.close(1000, 'bye'); } catch { /* already closed */ }
    this._forgetConnection(why);
  }

  /** What a lost connection takes with it. */
  _forgetConnection(why) {
    clearInterval(this._pingTimer);
    this._pingTimer = 0;
    for (const [ref, p] of this._refs) {
      this._refs.delete(ref);
      if (p.kind === 'send') {
        clearTimeout(p.timer);
        this._unconfirmed.push(p);
        p.reject(new ChatError(why, 'the connection ended before the answer', ref));
      } else if (p.kind === 'ping') {
        clearTimeout(p.timer);
        p.reject(new ChatError(why, 'the connection ended before the pong', ref));
      }
    }
    if (this._unconfirmed.length > MAX_UNCONFIRMED) this._unconfirmed.splice(0, this._unconfirmed.length - MAX_UNCONFIRMED);
    for (const room of [...this._rooms.values()]) {
      if (room.state === 'leaving') {
        // The server ends every membership of a closed session.
        this._removeRoom(room);
      } else {
        clearTimeout(room._retryTimer);
        room._joinRef = null;
        room._setState('joining');
      }
    }
  }

  _onDisconnect(code, reason) {
    this._ws = null;
    this._forgetConnection('disconnected');
    this.emit('disconnect', { code, reason: String(reason || '') });
    if (this._liveSince && Date.now() - this._liveSince >= this.options.stableMs) this._attempt = 0;
    this._liveSince = 0;
    this._scheduleReconnect();
  }

  _scheduleReconnect() {
    this._setState(this._everLive ? 'reconnecting' : 'connecting');
    clearTimeout(this._reconnectTimer);
    const { backoffMinMs, backoffMaxMs } = this.options;
    const base = Math.min(backoffMaxMs, backoffMinMs * 2 ** this._attempt);
    const delay = Math.min(backoffMaxMs, Math.round(base * (0.8 + Math.random() * 0.4)));
    this._attempt = Math.min(this._attempt + 1, 10);
    this._reconnectTimer = setTimeout(() => this._connect(), delay);
  }

  _startHeartbeat() {
    clearInterval(this._pingTimer);
    this._pingTimer = setInterval(() => {
      if (!this._ws) return;
      if (Date.now() - this._lastFrame > this.options.staleMs) {
        // Nothing heard for too long: treat the connection as gone.
        this._dropSocket('disconnected');
        this.emit('disconnect', { code: 0, reason: 'no frame from the server' });
        this._scheduleReconnect();
        return;
      }
      this.ping().catch(() => { /* the next tick or the close tells */ });
    }, this.options.pingMs);
  }

  _handleFrame(f) {
    switch (f.op) {
      case 'hello': return this._onHello(f);
      case 'snapshot': return this._onSnapshot(f);
      case 'event': return this._onEvent(f);
      case 'ack': return this._onAck(f);
      case 'error': return this._onError(f);
      case 'pong': return this._onPong(f);
      default: return this.emit('frame', f);
    }
  }

  _onHello(f) {
    this.user = String(f.user || this.user);
    this.session = String(f.session || '');
    this.epoch = String(f.epoch || '');
    this._everLive = true;
    this._liveSince = Date.now();
    this.emit('hello', { user: this.user, session: this.session, server: String(f.server || ''), epoch: this.epoch });
    this._setState('live');
    this._startHeartbeat();
    for (const room of this._rooms.values()) {
      if (room.state === 'joining') this._sendJoin(room);
    }
  }

  _sendJoin(room) {
    clearTimeout(room._retryTimer);
    const ref = this._nextRef('j');
    const frame = { op: 'join', room: room.name, history: room._history, ref };
    if (room._st.synced) {
      frame.after = room._st.cursor;
      frame.epoch = room._st.epoch || this.epoch;
    }
    room._joinRef = ref;
    room._setState('joining');
    this._refs.set(ref, { kind: 'join', room });
    this._sendFrame(frame);
  }

  _onSnapshot(f) {
    const room = this._rooms.get(f.room);
    if (!room) return;
    if (f.ref !== undefined) this._refs.delete(f.ref);
    if (room._joinRef && f.ref !== undefined && f.ref !== room._joinRef) return; // an older join's
    room._joinRef = null;
    room._applySnapshot(f);
  }

  _onEvent(f) {
    const room = this._rooms.get(f.room);
    if (room) room._applyEvent(f.cursor, f.event || {});
  }

  _onAck(f) {
    const p = this._refs.get(f.ref);
    if (!p) return;
    this._refs.delete(f.ref);
    if (p.kind === 'send') {
      clearTimeout(p.timer);
      p.done = true;
      p.resolve({ ref: String(f.ref), room: String(f.room ?? p.room.name), cursor: f.cursor });
    } else if (p.kind === 'leave') {
      if (this._rooms.get(p.room.name) === p.room) this._removeRoom(p.room);
    }
  }

  _onPong(f) {
    const p = f.ref !== undefined ? this._refs.get(f.ref) : undefined;
    if (!p || p.kind !== 'ping') return;
    this._refs.delete(f.ref);
    clearTimeout(p.timer);
    p.resolve();
  }

  _onError(f) {
    const code = String(f.code || '');
    const err = new ChatError(code, String(f.message || ''), f.ref !== undefined ? String(f.ref) : undefined);
    const p = f.ref !== undefined ? this._refs.get(f.ref) : undefined;
    if (!p) {
      this.emit('error', err);
      return;
    }
    this._refs.delete(f.ref);
    const room = p.room;
    const current = room && this._rooms.get(room.name) === room;
    switch (p.kind) {
      case 'join':
        if (!current) {
          room.emit('error', err);
          return;
        }
        room._joinRef = null;
        if (room._st.synced && (code === 'unavailable' || code === 'internal')) {
          // A rejoin after a reconnect: keep the room and try again.
          err.retrying = true;
          room._retryTimer = setTimeout(() => {
            if (this.live && this._rooms.get(room.name) === room && room.state === 'joining' && !room._joinRef) this._sendJoin(room);
          }, this.options.joinRetryMs);
          room.emit('error', err);
        } else {
          room.emit('error', err);
          this._removeRoom(room);
        }
        return;
      case 'leave':
        if (!current) {
          p.reject(err);
          return;
        }
        if (code === 'not_member') {
          this._removeRoom(room);
          return;
        }
        room._leave = null;
        room._setState(room._st.synced ? 'joined' : 'joining');
        p.reject(err);
        return;
      case 'send':
        clearTimeout(p.timer);
        p.done = true;
        p.reject(err);
        return;
      case 'ping':
        clearTimeout(p.timer);
        p.reject(err);
        return;
      default:
        this.emit('error', err);
    }
  }

  /** A message event of this user's own session settles a send whose answer was lost. */
  _confirmByEvent(room, cursor, ev) {
    if (ev.user !== this.user || !this._unconfirmed.length) return;
    const text = String(ev.text ?? '');
    const session = String(ev.session ?? '');
    for (const p of this._unconfirmed) {
      if (!p.confirmed && p.room.name === room.name && p.session && p.session === session && p.text === text) {
        p.confirmed = true;
        room.emit('confirmed', { ref: p.ref, text: p.raw, cursor });
        break;
      }
    }
    this._unconfirmed = this._unconfirmed.filter((p) => !p.confirmed);
  }

  _removeRoom(room) {
    clearTimeout(room._retryTimer);
    if (this._rooms.get(room.name) === room) this._rooms.delete(room.name);
    for (const [ref, p] of this._refs) {
      if (p.room === room && p.kind !== 'send') this._refs.delete(ref);
    }
    const leave = room._leave;
    room._leave = null;
    room._joinRef = null;
    room._setState('left');
    room.emit('left', undefined);
    if (leave) leave.resolve();
  }
}

/**
 * A room of a client, from {@link Client#join}. Its state is `joining`
 * (before its snapshot, and again while a lost connection is resumed),
 * `joined`, `leaving`, then `left` for good: a left room is never used again;
 * join the name again for a new one.
 *
 * Events (`room.on(type, fn)`):
 * - `snapshot`: `{reset, resumed, truncated, cursor, epoch, messages,
 *   members, events}` for each snapshot of the room. `events` are the entries
 *   `{cursor, event}` not seen before, oldest first: with `reset` true (the
 *   first snapshot, or a rejoin that could not resume) the room starts
 *   afresh and they are its whole history; with `reset` false (a resumed
 *   rejoin) they are the events missed while the connection was down, each
 *   after the last cursor seen. `truncated` says that some older events are
 *   lost (to retention, or over the server's resume cap). `messages` is the
 *   room's message count, `members` as for the `members` event.
 * - `event`: `{cursor, event}` for each live event, in cursor order, each
 *   once; never one from before the room's snapshot.
 * - `members`: the members `[{user, sessions}]`, sorted by user, after each
 *   snapshot and each event that changed them.
 * - `state`: the room's new state, a string.
 * - `error`: a {@link ChatError} when a join failed; `retrying` true when the
 *   client joins again by itself (a resume refused with `unavailable` or
 *   `internal`), else the room turns `left`.
 * - `confirmed`: `{ref, text, cursor}` when the event of a send whose
 *   promise rejected with `timeout` or `disconnected` arrives after all: the
 *   message was written at `cursor`. `text` is the text as given to `send`.
 * - `left`: once, when the room turned `left`.
 */
export class Room extends Emitter {
  /**
   * @param {Client} client
   * @param {string} name
   * @param {number} history
   */
  constructor(client, name, history) {
    super();
    this._client = client;
    this._st = new RoomState(name);
    this._history = history;
    this._joinRef = null;
    this._retryTimer = 0;
    this._leave = null;
    /** @type {string} */
    this.name = name;
  }

  /** @type {string} joining, joined, leaving or left */
  get state() {
    return this._state ?? 'joining';
  }

  /** @type {number} the last cursor seen (-1 before any) */
  get cursor() {
    return this._st.cursor;
  }

  /** @type {string} the epoch of the log the cursor belongs to */
  get epoch() {
    return this._st.epoch;
  }

  /** @type {boolean} whether a snapshot came: cursor, members and counts are known */
  get synced() {
    return this._st.synced;
  }

  /** @type {boolean} whether some older events could not be delivered */
  get truncated() {
    return this._st.truncated;
  }

  /** @type {number} the room's message count */
  get messageCount() {
    return this._st.messageCount;
  }

  /**
   * The members, sorted by user.
   * @returns {{user: string, sessions: number}[]}
   */
  members() {
    return this._st.memberList();
  }

  /**
   * Posts a message.
   * @param {string} text 1 to 4096 bytes of UTF-8 after trimming (the server
   *   trims)
   * @returns {Promise<{ref: string, room: string, cursor: number}>} resolves
   *   on the `ack`: the message is durable at `cursor`. Rejects with a
   *   {@link ChatError}: `offline`, `not_joined`, `too_large`, `send_failed`
   *   (nothing was sent), the server's code (`too_large`, `rate_limited`,
   *   `forbidden`, `unavailable`, …), or `timeout` / `disconnected` (no
   *   answer: the message may still be written; the room then emits
   *   `confirmed` with the rejection's `ref`).
   */
  send(text) {
    const c = this._client;
    const raw = String(text);
    if (!c.live) return Promise.reject(new ChatError('offline', 'not connected'));
    if (this.state !== 'joined') return Promise.reject(new ChatError('not_joined', `not joined to ${this.name}`));
    if (utf8Length(raw.trim()) > c.options.maxTextBytes) return Promise.reject(new ChatError('too_large', 'the text is too long'));
    const ref = c._nextRef('s');
    return new Promise((resolve, reject) => {
      const p = {
        kind: 'send', ref, room: this, raw, text: raw.trim(), session: c.session,
        done: false, confirmed: false, timer: 0, resolve, reject,
      };
      c._refs.set(ref, p);
      p.timer = setTimeout(() => {
        if (c._refs.get(ref) !== p) return;
        c._refs.delete(ref);
        c._unconfirmed.push(p);
        reject(new ChatError('timeout', 'no answer from the server', ref));
      }, c.options.ackTimeoutMs);
      if (!c._sendFrame({ op: 'send', room: this.name, text: raw, ref })) {
        clearTimeout(p.timer);
        c._refs.delete(ref);
        reject(new ChatError('send_failed', 'the socket refused the frame', ref));
      }
    });
  }

  /**
   * Leaves the room.
   * @returns {Promise<void>} resolves once the room is `left`: on the
   *   server's `ack` or the own leave event, at once when there is no
   *   membership to end (offline, or the join not sent yet), or when the
   *   connection ends (the server ends the memberships of a closed session).
   *   Rejects with a {@link ChatError} of the server (the room is then back
   *   to `joined`), except `not_member`, which counts as left.
   */
  leave() {
    const c = this._client;
    if (this.state === 'left') return Promise.resolve();
    if (this._leave) return this._leave.promise;
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    this._leave = { promise, resolve };
    if (!c.live || (this.state === 'joining' && !this._joinRef)) {
      // No membership of this session on the server.
      c._removeRoom(this);
      return promise;
    }
    const ref = c._nextRef('l');
    c._refs.set(ref, { kind: 'leave', room: this, reject: (err) => { reject(err); } });
    this._setState('leaving');
    c._sendFrame({ op: 'leave', room: this.name, ref });
    return promise;
  }

  _setState(state) {
    if (this._state === state) return;
    this._state = state;
    this._st.state = state === 'left' ? 'leaving' : state;
    this.emit('state', state);
  }

  _applySnapshot(f) {
    const wasState = this.state;
    const { reset, entries } = this._st.applySnapshot(f);
    const c = this._client;
    for (const e of entries) {
      if (!reset && e.event.type === 'message') c._confirmByEvent(this, e.cursor, e.event);
    }
    const members = this._st.memberList();
    this._state = this._st.state;
    if (this._state !== wasState) this.emit('state', this._state);
    this.emit('snapshot', {
      reset,
      resumed: !!f.resumed,
      truncated: this._st.truncated,
      cursor: this._st.cursor,
      epoch: this._st.epoch,
      messages: this._st.messageCount,
      members,
      events: entries,
    });
    this.emit('members', members);
  }

  _applyEvent(cursor, ev) {
    const res = this._st.applyEvent(cursor, ev);
    if (!res) return;
    const c = this._client;
    if (ev.type === 'message') c._confirmByEvent(this, cursor, ev);
    this.emit('event', { cursor, event: ev });
    if (res.members) this.emit('members', this._st.memberList());
    if (ev.type === 'leave' && this.state === 'leaving' && ev.user === c.user && ev.session === c.session) {
      c._removeRoom(this);
    }
  }
}
