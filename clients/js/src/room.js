// A room of a client: its state machine (joining, joined, leaving, left),
// its join, send, typing and leave, and the events it hands to the
// application. The requests that change the room are in changes.js.

import { RoomChanges } from './changes.js';
import { ChatError } from './errors.js';
import { foldRules, rulesOf } from './rules.js';
import { RoomState } from './state.js';
import { isPosition } from './store.js';

const encoder = new TextEncoder();

/** Typing notices go out at most once per this long (the server's pace). */
const TYPING_GAP_MS = 2000;

/**
 * A room, from Client#join. Its state is `joining` (before its snapshot,
 * and again while a lost connection is resumed), `joined`, `leaving`, then
 * `left` for good: join the name again for a new one.
 *
 * Events (`room.on(type, fn)`):
 * - `snapshot`: `{reset, gap, resumed, truncated, cursor, epoch, messages,
 *   members, events}` for each snapshot. `events` are the entries
 *   `{cursor, event}` not delivered before, oldest first. `reset` true: the
 *   room starts afresh (the first join, or a log with another epoch) and
 *   they are its history: drop what was shown. `reset` false: a resume, they
 *   follow the last cursor delivered; `gap` true when the server had to cut
 *   the resume (over 1000 events, or lost to retention), so that some events
 *   before them are missing. `truncated` is the snapshot's flag.
 * - `event`: `{cursor, event}` for each live event, in cursor order, each
 *   once; never one from before the room's snapshot. Besides `join`,
 *   `leave`, `expire` and `message` these are the changes of messages,
 *   `edit` (`id` of the message, `text`), `delete` (`id`) and `react`
 *   (`id`, `emoji`, `on`), and the user's own `read` (`cursor`).
 * - `members`: `[{user, sessions}]`, sorted by user, after each snapshot
 *   and each event that changed them.
 * - `state`: the room's new state.
 * - `error`: a ChatError when a join failed; `retrying` true when the
 *   client joins again by itself, else the room turns `left`.
 * - `confirmed`: `{ref, text, cursor}` when the event of a send whose
 *   promise rejected with `timeout` or `disconnected` arrives after all.
 * - `unread`: `{room, count, mentions, cursor}` after each join and
 *   whenever the user's unread count in the room changes (on any of the
 *   user's tabs); the latest is kept as `room.unread`.
 * - `rules`: the room's Rules (see `room.rules`) after each snapshot and
 *   each event that changed them (`settings`, `role`, `ban`, `mute`).
 * - `typing`: `{op, room, user}` when another member types.
 * - `frame`: every frame for this room of an op the client does not handle.
 * - `left`: once, when the room turned `left`, with `{reason, by?}`:
 *   `reason` is `leave` (the user's own leave, or a membership that ended
 *   with the connection's), `kick` or `ban` (the user was kicked or banned:
 *   `by` is who did it; the room is not joined again after a reconnect),
 *   `error` (a refused join) or `closed` (the client was closed).
 */
export class Room extends RoomChanges {
  /**
   * @param {import('./client.js').Client} client
   * @param {string} name
   * @param {number} history
   */
  constructor(client, name, history) {
    super();
    this._client = client;
    this._st = new RoomState(name);
    this._history = history;
    this._state = 'joining';
    this._joinRef = null;
    this._retryTimer = 0;
    this._leave = null;
    this._unread = null;
    this._rules = null;
    this._lastTyping = 0;
    /** the other user, for the room of Client#dm: its first join is a `dm` */
    this._dmUser = '';
    /** @type {string} */
    this.name = name;
    const kept = client.store ? client.store.load(name) : undefined;
    if (isPosition(kept)) this._st.restore(kept);
  }

  /** @type {string} joining, joined, leaving or left */
  get state() { return this._state; }

  /** @type {number} the last cursor delivered (-1 before any) */
  get cursor() { return this._st.cursor; }

  /** @type {string} the epoch of the log the cursor belongs to */
  get epoch() { return this._st.epoch; }

  /** @type {boolean} whether a snapshot came: members and counts are known */
  get synced() { return this._st.synced; }

  /** @type {boolean} whether some events could not be delivered */
  get truncated() { return this._st.truncated; }

  /** @type {number} the room's message count */
  get messageCount() { return this._st.messageCount; }

  /**
   * @type {{count: number, mentions: number, cursor: number}|null} the
   * latest `unread` the server told of this room, null before any
   */
  get unread() { return this._unread; }

  /**
   * @type {import('./rules.js').Rules|null} the room's owner, moderators,
   * privacy, topic, direct users, bans and mutes: from the last snapshot,
   * with the events since; null before the first snapshot
   */
  get rules() { return this._rules; }

  /** @type {boolean} whether the user is known to be muted in the room */
  get muted() { return !!this._rules && this._rules.muted.includes(this._client.user); }

  /** @returns {{user: string, sessions: number}[]} the members, sorted by user */
  members() {
    return this._st.memberList();
  }

  /**
   * Waits for the room's snapshot.
   * @returns {Promise<Room>} resolves with the room once it is `joined` (at
   *   once if it is); rejects with the ChatError of a failed join, or
   *   `not_joined` when the room turns `left` first
   */
  joined() {
    if (this._state === 'joined') return Promise.resolve(this);
    if (this._state === 'left') return Promise.reject(new ChatError('not_joined', `${this.name} was left`));
    return new Promise((resolve, reject) => {
      const offs = [
        this.on('snapshot', () => { done(); resolve(this); }),
        this.on('error', (err) => { if (!err.retrying) { done(); reject(err); } }),
        this.on('left', () => { done(); reject(new ChatError('not_joined', `${this.name} was left`)); }),
      ];
      const done = () => offs.forEach((off) => off());
    });
  }

  /**
   * Posts a message.
   * @param {string} text 1 to 4096 bytes of UTF-8 after trimming
   * @returns {Promise<{ref: string, room: string, cursor: number}>} resolves
   *   on the `ack`: the message is durable at `cursor`. Rejects with a
   *   ChatError: `offline`, `not_joined`, `too_large`, `send_failed`
   *   (nothing was sent), the server's code, or `timeout` / `disconnected`
   *   (the message may still be written: the room then emits `confirmed`
   *   with the rejection's `ref`).
   */
  send(text) {
    const c = this._client;
    const raw = String(text);
    if (!c.live) return Promise.reject(new ChatError('offline', 'not connected'));
    if (this._state !== 'joined') return Promise.reject(new ChatError('not_joined', `not joined to ${this.name}`));
    if (encoder.encode(raw.trim()).length > c.options.maxTextBytes) return Promise.reject(new ChatError('too_large', 'the text is too long'));
    const p = { kind: 'send', room: this, raw, text: raw.trim(), session: c.session };
    return c._request({ op: 'send', room: this.name, text: raw }, p);
  }

  /**
   * Tells the other members that the user is typing: call it on each key
   * press; a notice goes out at most once per 2 seconds (the server relays
   * no more), the others are dropped here.
   * @returns {boolean} whether a notice was sent
   */
  typing() {
    const c = this._client;
    const now = Date.now();
    if (!c.live || this._state !== 'joined' || now - this._lastTyping < TYPING_GAP_MS) return false;
    if (!c._sendFrame({ op: 'typing', room: this.name })) return false;
    this._lastTyping = now;
    return true;
  }

  /**
   * Sends a request about this room (`read`, `edit`, `react`, `typing`, …):
   * Client#request with the room's name.
   * @param {string} op
   * @param {object} [fields]
   * @param {{timeoutMs?: number}} [opts]
   * @returns {Promise<object>} the answering frame
   */
  request(op, fields = {}, opts = {}) {
    return this._client.request(op, { ...fields, room: this.name }, opts);
  }

  /**
   * Leaves the room.
   * @returns {Promise<void>} resolves once the room is `left`: on the
   *   server's `ack`, at once when there is no membership to end, or when
   *   the connection ends. Rejects with a ChatError of the server (the
   *   room is then back to `joined`), except `not_member`, which counts as
   *   left.
   */
  leave() {
    const c = this._client;
    if (this._state === 'left') return Promise.resolve();
    if (this._leave) return this._leave.promise;
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    this._leave = { promise, resolve };
    if (!c.live || (this._state === 'joining' && !this._joinRef)) {
      // No membership of this session on the server.
      c._removeRoom(this, true);
      return promise;
    }
    const ref = c._nextRef('l');
    c._refs.set(ref, { kind: 'leave', room: this, reject });
    this._setState('leaving');
    c._sendFrame({ op: 'leave', room: this.name, ref });
    return promise;
  }

  // ------------------------------------------------------------ internals

  /** An `unread` frame of this room. */
  _onUnread(f) {
    const num = (v) => (typeof v === 'number' ? v : 0);
    this._unread = { count: num(f.count), mentions: num(f.mentions), cursor: typeof f.cursor === 'number' ? f.cursor : -1 };
    this.emit('unread', { room: this.name, ...this._unread });
  }

  _setState(state) {
    if (this._state === state) return;
    this._state = state;
    if (state !== 'left') this._st.state = state;
    this.emit('state', state);
  }

  _sendJoin() {
    const c = this._client;
    clearTimeout(this._retryTimer);
    const ref = c._nextRef('j');
    const from = this._st.resumeFrom();
    const frame = this._dmUser && !from
      ? { op: 'dm', user: this._dmUser, ref }
      : { op: 'join', room: this.name, history: this._history, ref };
    if (from) {
      frame.after = from.after;
      if (from.epoch) frame.epoch = from.epoch;
    }
    this._joinRef = ref;
    this._joinSent = from;
    this._setState('joining');
    c._refs.set(ref, { kind: 'join', room: this, ref });
    c._sendFrame(frame);
  }

  /** The connection is gone: the next one joins again. */
  _unjoined() {
    clearTimeout(this._retryTimer);
    this._joinRef = null;
    this._setState('joining');
  }

  _onSnapshot(f) {
    const c = this._client;
    if (f.ref !== undefined) c._refs.delete(f.ref);
    if (this._joinRef && f.ref !== undefined && f.ref !== this._joinRef) return; // an older join's
    this._joinRef = null;
    const wasState = this._state;
    const { reset, gap, entries } = this._st.applySnapshot(f, this._joinSent);
    if (!reset) {
      for (const e of entries) {
        if (e.event.type === 'message') c._confirmByEvent(this, e.cursor, e.event);
      }
    }
    this._save();
    const members = this._st.memberList();
    this._rules = rulesOf(f);
    this._state = this._st.state;
    if (this._state !== wasState) this.emit('state', this._state);
    this.emit('snapshot', {
      reset,
      gap,
      resumed: !!f.resumed,
      truncated: !!f.truncated,
      cursor: this._st.cursor,
      epoch: this._st.epoch,
      messages: this._st.messageCount,
      members,
      events: entries,
    });
    this.emit('members', members);
    this.emit('rules', this._rules);
  }

  _applyEvent(cursor, ev) {
    const res = this._st.applyEvent(cursor, ev);
    if (!res) return;
    const c = this._client;
    this._save();
    if (ev.type === 'message') c._confirmByEvent(this, cursor, ev);
    this.emit('event', { cursor, event: ev });
    if (res.members) this.emit('members', this._st.memberList());
    const rules = this._rules && foldRules(this._rules, ev);
    if (rules) {
      this._rules = rules;
      this.emit('rules', rules);
    }
    if (ev.type === 'leave' && this._state === 'leaving' && ev.user === c.user && ev.session === c.session) {
      c._removeRoom(this, true);
    } else if ((ev.type === 'kick' || (ev.type === 'ban' && ev.on)) && ev.target === c.user) {
      // The server sends nothing more of the room: it is over, and is not
      // joined again after a reconnect.
      c._removeRoom(this, true, { reason: ev.type, by: String(ev.user ?? '') });
    }
  }

  _save() {
    const { store } = this._client;
    if (store && this._state !== 'left') store.save(this.name, { cursor: this._st.cursor, epoch: this._st.epoch });
  }

  /** A join or a leave of this room answered with an error. */
  _onRequestError(p, err) {
    const c = this._client;
    const current = c._rooms.get(this.name) === this;
    if (p.kind === 'join') {
      if (!current || p.ref !== this._joinRef) return;
      this._joinRef = null;
      if (this._st.synced && (err.code === 'unavailable' || err.code === 'internal' || err.code === 'rate_limited')) {
        // A rejoin after a reconnect refused for now: keep the room and
        // try again, this room alone, on the same connection.
        err.retrying = true;
        this._retryTimer = setTimeout(() => {
          if (c.live && c._rooms.get(this.name) === this && this._state === 'joining' && !this._joinRef) this._sendJoin();
        }, c.options.joinRetryMs);
        this.emit('error', err);
      } else {
        this.emit('error', err);
        c._removeRoom(this, true, { reason: 'error' });
      }
      return;
    }
    // A leave.
    if (current && err.code === 'not_member') {
      c._removeRoom(this, true);
      return;
    }
    if (current) {
      this._leave = null;
      this._setState(this._st.synced ? 'joined' : 'joining');
    }
    p.reject(err);
  }

  /** The room turned left, for good: why is the `left` event's payload. */
  _left(why = { reason: 'leave' }) {
    clearTimeout(this._retryTimer);
    const leave = this._leave;
    this._leave = null;
    this._joinRef = null;
    this._setState('left');
    this.emit('left', why);
    if (leave) leave.resolve();
  }
}
