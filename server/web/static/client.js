// The chat page's connection: the chatstate-client module (clients/js, the
// one packaged for npm, served under /static/chatstate-client/) does the
// protocol: rooms, acks, reconnects and resumes. What the page adds is in
// words: what it tells the user of a lost connection, and how the message
// box follows a send (emptied once the text is written, even when the answer
// was lost and only the message's event told).

import { Client } from './chatstate-client/index.js';
import { ERROR_TEXT, errorSentence } from './errors.js';

export { Client };

/** Sends without an answer whose event may still confirm them. */
const MAX_LOST = 50;

/** What the page says when the server closed the connection with a code. */
const DISCONNECT_TEXT = {
  1009: 'The connection was closed because a frame was too large — reconnecting',
  4008: 'The connection fell behind and was closed — reconnecting',
  4009: 'The server missed events of a room — resuming',
};

/**
 * Creates the page's client, for user or for the token, and connects.
 * @param {{user?: string, token?: string}} identity
 * @param {{onState: (s: string) => void, onHello: (h: object) => void,
 *   showError: (code: string, sentence: string, detail?: string) => void}} page
 * @returns {Client}
 */
export function startClient({ user = '', token = '' }, page) {
  const client = new Client(token ? { token } : { user });
  client.on('state', page.onState);
  client.on('hello', page.onHello);
  client.on('disconnect', ({ code, reason }) => {
    if (DISCONNECT_TEXT[code]) page.showError('', DISCONNECT_TEXT[code], reason);
  });
  client.on('error', (err) => page.showError(err.code, errorSentence(err.code), err.detail));
  client.open();
  return client;
}

/**
 * The sends of the message box. A text is sent once at a time per room; a
 * send without an answer is kept until its event confirms it (see the
 * room's `confirmed` event), so that the box empties then.
 */
export class Outbox {
  /**
   * @param {{onSent: (room: string, raw: string) => void,
   *   showError: (code: string, sentence: string, detail?: string) => void,
   *   onRefused?: (room: string, code: string) => void}} page
   */
  constructor(page) {
    this._page = page;
    /** room + "\n" + text of the sends awaiting their answer */
    this._inFlight = new Set();
    /** ref -> {room, raw} of the sends that got no answer */
    this._lost = new Map();
  }

  /**
   * Sends raw (the box's text) to room.
   * @param {import('./chatstate-client/index.js').Room} room
   * @param {string} raw
   */
  send(room, raw) {
    const key = `${room.name}\n${raw}`;
    if (this._inFlight.has(key)) return; // already on its way
    this._inFlight.add(key);
    room.send(raw.trim()).then(() => {
      this._inFlight.delete(key);
      this._page.onSent(room.name, raw);
    }, (err) => {
      this._inFlight.delete(key);
      this._failed(err, room.name, raw);
    });
  }

  /**
   * A send that got no answer was written after all.
   * @param {string} ref the ref of its rejection
   */
  confirmed(ref) {
    const p = this._lost.get(ref);
    if (!p) return;
    this._lost.delete(ref);
    this._page.onSent(p.room, p.raw);
  }

  /** Forgets the sends without an answer (another user now). */
  clear() {
    this._lost.clear();
  }

  _failed(err, roomName, raw) {
    const show = this._page.showError;
    switch (err.code) {
      case 'offline':
        show('', 'You are offline — the message was not sent; it stays in the box until you can send it');
        return;
      case 'not_joined':
        show('', `Wait until you have joined ${roomName} — the message was not sent`);
        return;
      case 'send_failed':
        show('', 'The message could not be sent — try again');
        return;
      case 'timeout':
      case 'disconnected':
        // It may still be written: its event then empties the box.
        this._lost.set(err.ref, { room: roomName, raw });
        while (this._lost.size > MAX_LOST) this._lost.delete(this._lost.keys().next().value);
        if (err.code === 'timeout') show('', 'No answer from the server yet — the message may not have been sent');
        return;
      case 'closed':
        return;
      default:
        if (this._page.onRefused) this._page.onRefused(roomName, err.code);
        // The text stays in the message box, ready to be sent again.
        if (err.code === 'too_large' && err.ref === undefined) show('too_large', ERROR_TEXT.too_large);
        else show(err.code, errorSentence(err.code), err.detail);
    }
  }
}
