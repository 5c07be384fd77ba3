// The read markers the chat page moves as the user reads: what the user saw
// of a room is marked with a `read` at the cursor of the newest message of
// another member seen, at most once per interval (the server rate-limits
// reads) and only when that moves past the marker the server told. The
// server then tells every tab of the user the new unread count.

import { newestOfOthers } from './feed.js';

/**
 * A joined room as the reading reads it (the page's View).
 * @typedef {{name: string, room: import('./chatstate-client/index.js').Room,
 *   messages: import('./view-messages.js').Message[]}} ReadView
 */

/** The page's reading: what it shows as unread, and when it marks. */
export class Reader {
  /**
   * @param {object} opts
   * @param {number} opts.gapMs see ReadMarkers
   * @param {(room: string, cursor: number) => Promise<unknown>} opts.send sends a read
   * @param {() => boolean} opts.canSee whether the user sees the newest
   *   message of the room shown (page visible and focused, list at its end)
   * @param {() => void} opts.marked the shown counts changed by a new mark
   */
  constructor({ gapMs, send, canSee, marked }) {
    this.markers = new ReadMarkers({ gapMs, send });
    this._canSee = canSee;
    this._marked = marked;
  }

  /**
   * The unread count and mentions of a room as shown: the server's, or
   * none once the page marked (or is about to mark) its newest message.
   * @param {ReadView} v
   * @param {string} me
   * @returns {{count: number, mentions: number}}
   */
  unreadOf(v, me) {
    const u = v.room.unread;
    const newest = newestOfOthers(v.messages, me);
    if (!u || (newest && this.markers.covers(v.name, newest.cursor))) return { count: 0, mentions: 0 };
    return u;
  }

  /**
   * Marks the room shown as read up to its newest message of another
   * user, when the user can see it: joined, its marker told, canSee.
   * @param {ReadView|null} v the room shown
   * @param {string} me
   */
  mark(v, me) {
    if (!v || v.room.state !== 'joined' || !v.room.unread || !this._canSee()) return;
    const newest = newestOfOthers(v.messages, me);
    if (!newest) return;
    const before = this.markers.covers(v.name, newest.cursor);
    this.markers.seen(v.name, newest.cursor, v.room.unread.cursor);
    if (!before && this.markers.covers(v.name, newest.cursor)) this._marked();
  }
}

/**
 * What the page decided to mark in one room.
 * @typedef {{to: number, sent: number}} Mark
 */

export class ReadMarkers {
  /**
   * @param {object} opts
   * @param {number} opts.gapMs at least this long between two rounds of reads
   * @param {(room: string, cursor: number) => Promise<unknown>} opts.send
   *   sends the read; a rejection lets the cursor be marked again later
   */
  constructor({ gapMs, send }) {
    this._gapMs = gapMs;
    this._send = send;
    /** @type {Map<string, Mark>} */
    this._marks = new Map();
    this._last = -Infinity;
    this._timer = 0;
  }

  /**
   * The user has seen room up to cursor; marker is the server's marker
   * (-1 when not told yet). Marks it now, or after the interval.
   * @param {string} room
   * @param {number} cursor
   * @param {number} marker
   */
  seen(room, cursor, marker) {
    const m = this._mark(room);
    if (cursor <= Math.max(m.to, marker)) return;
    m.to = cursor;
    if (this._timer) return;
    const wait = Math.max(0, this._last + this._gapMs - Date.now());
    this._timer = setTimeout(() => this._flush(), wait);
  }

  /**
   * Whether the page marked (or is about to mark) room up to cursor: its
   * count shows as read already.
   * @param {string} room
   * @param {number} cursor
   * @returns {boolean}
   */
  covers(room, cursor) {
    const m = this._marks.get(room);
    return !!m && cursor >= 0 && m.to >= cursor;
  }

  /** Forgets a room (left). @param {string} room */
  forget(room) {
    this._marks.delete(room);
  }

  /** Forgets every room (another user). */
  clear() {
    this._marks.clear();
  }

  _mark(room) {
    let m = this._marks.get(room);
    if (!m) {
      m = { to: -1, sent: -1 };
      this._marks.set(room, m);
    }
    return m;
  }

  _flush() {
    this._timer = 0;
    this._last = Date.now();
    for (const [room, m] of this._marks) {
      if (m.to <= m.sent) continue;
      const prev = m.sent;
      const to = m.to;
      m.sent = to;
      this._send(room, to).catch(() => {
        // Not marked (offline, rate-limited, left): the next sight of the
        // room tries again.
        if (this._marks.get(room) === m && m.sent === to) {
          m.sent = prev;
          m.to = prev;
        }
      });
    }
  }
}
