// One WebSocket session of the chatstate protocol that comes back by itself:
// any number of rooms, each resumed from its cursor after a lost connection,
// so that a room's listeners see every event once and in order. What it does
// with each frame the server sends is in frames.js.

import { ChatError } from './errors.js';
import { ClientFrames } from './frames.js';
import { backoffDelay, DEFAULTS, wsURL } from './options.js';
import { Room } from './room.js';
import { dmRoomName } from './sha256.js';

/** Sends whose answer was lost that are still looked for in the events. */
const MAX_UNCONFIRMED = 50;

/**
 * Opens a client and starts connecting.
 * @param {object} [options] see Client
 * @returns {Client}
 */
export function connect(options = {}) {
  return new Client(options).open();
}

/**
 * The client. Its events (`client.on(type, fn)`):
 * - `state`: `connecting` (before the first `hello`), `live`,
 *   `reconnecting` (after a connection was lost), `closed` (after
 *   `close()`); `idle` before `open()`
 * - `hello`: `{user, session, server, epoch}` of each new connection,
 *   before `state` turns `live`
 * - `disconnect`: `{code, reason}` when a connection ended other than by
 *   `close()` or `setIdentity()` (0: no frame within `staleMs`); a
 *   reconnect follows
 * - `error`: a ChatError for an `error` frame that answers no request
 * - `invited`: `{room, by}` when a user invites this one to a room, or
 *   opens a direct room with them (join it, or `dm(by)`, to take it)
 * - `frame`: every frame of an op the client does not handle itself
 *   (`unread`, `typing`, `invited`, and whatever later servers send)
 */
export class Client extends ClientFrames {
  /** @param {object} [options] */
  constructor(options = {}) {
    super();
    this.options = { ...DEFAULTS, ...options };
    /** @type {string} the user: the one given, then the one `hello` names */
    this.user = String(options.user || '');
    /** @type {string} */
    this.token = String(options.token || '');
    /** @type {string} the session of the current connection */
    this.session = '';
    /** @type {string} the server's epoch, from the last `hello` */
    this.epoch = '';
    /** @type {string} see the `state` event */
    this.state = 'idle';
    /** the store of room positions, if any (see store.js) */
    this.store = options.store || null;
    this._ws = null;
    this._everLive = false;
    this._attempt = 0;
    this._liveSince = 0;
    this._lastFrame = 0;
    this._reconnectTimer = 0;
    this._pingTimer = 0;
    this._connectTimer = 0;
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
    if (this.state === 'closed') throw new Error('chatstate-client: open after close');
    if (this._ws || this._reconnectTimer) return this;
    if (typeof window !== 'undefined' && window.addEventListener) window.addEventListener('online', this._onOnline);
    this._connect();
    return this;
  }

  /**
   * Connects again as another identity: the backoff starts over and every
   * room is joined again as the new user, resuming from its cursor.
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
   * join is sent at once when live, else as soon as the connection is. With
   * a store that holds a position of the room, the join resumes from it.
   * @param {string} name
   * @param {{history?: number}} [opts] messages of a fresh snapshot
   * @returns {Room}
   */
  join(name, opts = {}) {
    const existing = this._rooms.get(name);
    if (existing && existing.state !== 'leaving') return existing;
    if (existing) this._removeRoom(existing, false);
    const room = new Room(this, name, opts.history ?? this.options.history);
    this._rooms.set(name, room);
    if (this.live) room._sendJoin();
    return room;
  }

  /**
   * Opens the direct room of this user and another, the same room whichever
   * of the two opens it, and joins it like `join`: the first join sends
   * `dm`, which creates the room (private to the two) and tells the other
   * user with an `invited` frame; a resume after a reconnect joins it by
   * name. Needs the user's name (a token's user is known after `hello`).
   * @param {string} user the other user
   * @param {{history?: number}} [opts] as for `join` (the first answer
   *   carries the server's default history)
   * @returns {Room} its name is `dmRoomName(client.user, user)`
   */
  dm(user, opts = {}) {
    const other = String(user);
    if (!this.user) throw new Error('chatstate-client: dm before the user is known');
    const name = dmRoomName(this.user, other);
    const existing = this._rooms.get(name);
    if (existing && existing.state !== 'leaving') return existing;
    if (existing) this._removeRoom(existing, false);
    const room = new Room(this, name, opts.history ?? this.options.history);
    room._dmUser = other;
    this._rooms.set(name, room);
    if (this.live) room._sendJoin();
    return room;
  }

  /** @param {string} name @returns {Room|undefined} the room of that name */
  room(name) {
    return this._rooms.get(name);
  }

  /** @returns {Room[]} the rooms, in the order they were joined */
  rooms() {
    return [...this._rooms.values()];
  }

  /**
   * Sends any frame with a fresh `ref` and waits for the frame that answers
   * it (an `ack`, a `pong`, a `snapshot`, …): the way to use ops this client
   * has no method for, such as `typing` or `dm` (a room has methods for
   * `read`, `edit`, `delete` and `react`).
   * @param {string} op
   * @param {object} [fields] the frame's other fields
   * @param {{timeoutMs?: number}} [opts] default the client's `ackTimeoutMs`
   * @returns {Promise<object>} the answering frame; rejects with a ChatError:
   *   the server's `error`, or `offline`, `send_failed`, `timeout`,
   *   `disconnected`, `closed`
   */
  request(op, fields = {}, opts = {}) {
    return this._request({ ...fields, op }, { kind: 'request' }, opts.timeoutMs);
  }

  /**
   * Sends a ping.
   * @returns {Promise<number>} the round trip in milliseconds
   */
  ping() {
    const started = Date.now();
    return this._request({ op: 'ping' }, { kind: 'ping' }).then(() => Date.now() - started);
  }

  /**
   * Closes the connection for good: no reconnect, every pending request
   * rejects with `closed`, every room turns `left`. The store keeps the
   * rooms' positions, for the next client.
   */
  close() {
    if (this.state === 'closed') return;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = 0;
    if (typeof window !== 'undefined' && window.removeEventListener) window.removeEventListener('online', this._onOnline);
    this._dropSocket('closed');
    for (const room of [...this._rooms.values()]) this._removeRoom(room, false, { reason: 'closed' });
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

  /**
   * Sends frame with a new ref; p (kind and what else the answer needs)
   * settles with the answer, or with `timeout` after timeoutMs.
   */
  _request(frame, p, timeoutMs = this.options.ackTimeoutMs) {
    if (!this.live) return Promise.reject(new ChatError('offline', 'not connected'));
    const ref = this._nextRef(p.kind[0]);
    return new Promise((resolve, reject) => {
      Object.assign(p, { ref, resolve, reject, timer: 0 });
      this._refs.set(ref, p);
      p.timer = setTimeout(() => {
        if (this._refs.get(ref) !== p) return;
        this._refs.delete(ref);
        if (p.kind === 'send') this._keepUnconfirmed(p);
        reject(new ChatError('timeout', 'no answer from the server', ref));
      }, timeoutMs);
      if (!this._sendFrame({ ...frame, ref })) {
        clearTimeout(p.timer);
        this._refs.delete(ref);
        reject(new ChatError('send_failed', 'the socket refused the frame', ref));
      }
    });
  }

  _keepUnconfirmed(p) {
    this._unconfirmed.push(p);
    if (this._unconfirmed.length > MAX_UNCONFIRMED) this._unconfirmed.splice(0, this._unconfirmed.length - MAX_UNCONFIRMED);
  }

  /** Opens a new connection, dropping any current one. */
  _connect() {
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = 0;
    this._dropSocket('disconnected');
    this._setState(this._everLive ? 'reconnecting' : 'connecting');
    const WS = this.options.WebSocket || globalThis.WebSocket;
    if (typeof WS !== 'function') throw new Error('chatstate-client: no WebSocket: pass options.WebSocket');
    let ws;
    try {
      ws = new WS(wsURL(this.options.url, this.token ? { token: this.token } : { user: this.user }));
    } catch {
      this._scheduleReconnect();
      return;
    }
    this._ws = ws;
    this._lastFrame = Date.now();
    // A connection cut during the handshake can leave a socket that never
    // opens nor closes (Node's WebSocket does so): give up on it in time.
    clearTimeout(this._connectTimer);
    this._connectTimer = setTimeout(() => {
      if (this._ws !== ws || this.state === 'live') return;
      this._dropSocket('disconnected');
      this.emit('disconnect', { code: 0, reason: 'no hello from the server' });
      this._scheduleReconnect();
    }, this.options.connectTimeoutMs);
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
      if (this._ws === ws) this._onDisconnect(ev.code, ev.reason);
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  /** Detaches and closes the current socket without a reconnect. */
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
    clearTimeout(this._connectTimer);
    clearInterval(this._pingTimer);
    this._pingTimer = 0;
    for (const [ref, p] of this._refs) {
      this._refs.delete(ref);
      if (p.kind === 'join' || p.kind === 'leave') continue; // the rooms below
      clearTimeout(p.timer);
      if (p.kind === 'send') this._keepUnconfirmed(p);
      p.reject(new ChatError(why, 'the connection ended before the answer', ref));
    }
    for (const room of [...this._rooms.values()]) {
      // The server ends every membership of a closed session: a room being
      // left is left; the others are joined again on the next connection.
      if (room.state === 'leaving') this._removeRoom(room, true);
      else room._unjoined();
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
    const delay = backoffDelay(this._attempt, this.options.backoffMinMs, this.options.backoffMaxMs);
    this._attempt = Math.min(this._attempt + 1, 10);
    this._reconnectTimer = setTimeout(() => this._connect(), delay);
  }

  _startHeartbeat() {
    clearInterval(this._pingTimer);
    this._pingTimer = setInterval(() => {
      if (!this._ws) return;
      if (Date.now() - this._lastFrame > this.options.staleMs) {
        // Nothing heard for too long: a connection that died silently.
        this._dropSocket('disconnected');
        this.emit('disconnect', { code: 0, reason: 'no frame from the server' });
        this._scheduleReconnect();
        return;
      }
      this.ping().catch(() => { /* the next tick or the close tells */ });
    }, this.options.pingMs);
  }

  /**
   * Lets a room go: it turns `left`. forget: the membership ended (a leave,
   * a refused join, a kick), so the store forgets its position too; why is
   * the payload of the room's `left` event.
   */
  _removeRoom(room, forget, why = undefined) {
    if (this._rooms.get(room.name) === room) this._rooms.delete(room.name);
    for (const [ref, p] of this._refs) {
      if (p.room === room && p.kind !== 'send') this._refs.delete(ref);
    }
    if (forget && this.store) this.store.remove(room.name);
    room._left(why);
  }
}
