// What a client does with each frame the server sends: answers settle the
// requests they answer, room frames go to their room, the rest is emitted.
// Client extends this class and gives it the connection's state: its rooms
// (_rooms), pending requests (_refs), sends whose answer was lost
// (_unconfirmed), the connect timer and liveness (_connectTimer, _everLive,
// _liveSince), and the methods that set its state, start the heartbeat and
// let a room go (_setState, _startHeartbeat, _removeRoom).

import { Emitter } from './emitter.js';
import { ChatError } from './errors.js';

/** Frames of other ops that belong to a room and are emitted on it by op. */
const ROOM_OPS = new Set(['typing']);

/** The frame handling of a Client; see Client. */
export class ClientFrames extends Emitter {
  _handleFrame(f) {
    const p = f.ref !== undefined ? this._refs.get(f.ref) : undefined;
    if (p && p.kind === 'request' && f.op !== 'error') {
      this._refs.delete(f.ref);
      clearTimeout(p.timer);
      p.resolve(f);
      if (f.op !== 'snapshot') return;
    }
    switch (f.op) {
      case 'hello': return this._onHello(f);
      case 'snapshot': return this._rooms.get(f.room)?._onSnapshot(f);
      case 'event': return this._rooms.get(f.room)?._applyEvent(f.cursor, f.event || {});
      case 'ack': return this._onAck(f, p);
      case 'error': return this._onError(f, p);
      case 'pong': return this._onPong(f, p);
      default: return this._onOther(f);
    }
  }

  _onHello(f) {
    this.user = String(f.user || this.user);
    this.session = String(f.session || '');
    this.epoch = String(f.epoch || '');
    this._everLive = true;
    this._liveSince = Date.now();
    clearTimeout(this._connectTimer);
    this.emit('hello', { user: this.user, session: this.session, server: String(f.server || ''), epoch: this.epoch });
    this._setState('live');
    this._startHeartbeat();
    for (const room of this._rooms.values()) {
      if (room.state === 'joining' && !room._joinRef) room._sendJoin();
    }
  }

  _onAck(f, p) {
    if (!p) return;
    this._refs.delete(f.ref);
    clearTimeout(p.timer);
    if (p.kind === 'send') {
      p.resolve({ ref: String(f.ref), room: String(f.room ?? p.room.name), cursor: f.cursor });
    } else if (p.kind === 'leave' && this._rooms.get(p.room.name) === p.room) {
      this._removeRoom(p.room, true);
    }
  }

  _onPong(f, p) {
    if (!p || p.kind !== 'ping') return;
    this._refs.delete(f.ref);
    clearTimeout(p.timer);
    p.resolve();
  }

  _onError(f, p) {
    const err = new ChatError(String(f.code || ''), String(f.message || ''), f.ref !== undefined ? String(f.ref) : undefined);
    if (!p) {
      this.emit('error', err);
      return;
    }
    this._refs.delete(f.ref);
    clearTimeout(p.timer);
    if (p.kind === 'join' || p.kind === 'leave') p.room._onRequestError(p, err);
    else p.reject(err);
  }

  _onOther(f) {
    this.emit('frame', f);
    if (f.op === 'invited') {
      this.emit('invited', { room: String(f.room ?? ''), by: String(f.by ?? '') });
      return;
    }
    const room = typeof f.room === 'string' ? this._rooms.get(f.room) : undefined;
    if (!room) return;
    room.emit('frame', f);
    if (f.op === 'unread') room._onUnread(f);
    else if (ROOM_OPS.has(f.op)) room.emit(f.op, f);
  }

  /** A message event of this user's own session settles a send whose answer was lost. */
  _confirmByEvent(room, cursor, ev) {
    if (ev.user !== this.user || !this._unconfirmed.length) return;
    const text = String(ev.text ?? '');
    const session = String(ev.session ?? '');
    const i = this._unconfirmed.findIndex((p) => p.room === room && p.session && p.session === session && p.text === text);
    if (i < 0) return;
    const [p] = this._unconfirmed.splice(i, 1);
    room.emit('confirmed', { ref: p.ref, text: p.raw, cursor });
  }
}
