// The HTTP API as the pages read it: JSON requests, the server's errors in
// words, and the chat page's polling of the room list.

/**
 * Fetches JSON, never from the browser's cache. With etag (the ETag of an
 * earlier answer of the same URL) the request asks If-None-Match, and an
 * unchanged list answers 304 with no body: notModified, ok, body null.
 * @param {string} url
 * @param {{etag?: string}} [opts]
 * @returns {Promise<{ok: boolean, status: number, body: *, etag: string, notModified: boolean}>}
 *   resolves with the status, the parsed body (null when it is not JSON)
 *   and the answer's ETag ('' when it has none; on a 304, the one asked
 *   about unless the server names another); an HTTP error keeps the
 *   server's {error: {code, message}} in body. Rejects only when the server
 *   could not be reached.
 */
export async function getJSON(url, { etag = '' } = {}) {
  const headers = { Accept: 'application/json' };
  if (etag) headers['If-None-Match'] = etag;
  // no-store: the page keeps the tag and the list itself; the browser's
  // cache neither answers nor adds a validator of its own.
  const res = await fetch(url, { cache: 'no-store', headers });
  const tag = res.headers.get('ETag') || '';
  if (res.status === 304) return { ok: true, status: 304, body: null, etag: tag || etag, notModified: true };
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  return { ok: res.ok, status: res.status, body, etag: tag, notModified: false };
}

/**
 * The server's error of an answer of getJSON, in one line.
 * @param {{status: number, body: *}} r
 * @returns {string} "code: message (HTTP status)", or "HTTP status"
 */
export function errorText(r) {
  const e = r.body && r.body.error;
  if (e && (e.message || e.code)) return `${e.code || 'error'}: ${e.message || ''} (HTTP ${r.status})`;
  return `HTTP ${r.status}`;
}

/**
 * Polls GET /api/rooms: at once on start, every intervalMs while the page
 * is visible and paused() is false, when the page becomes visible again, and
 * shortly after soon(). One request at a time. Each poll names the ETag of
 * the last list it handed to onRooms; a 304 (the list is unchanged) hands
 * nothing. A failure forgets the tag, so that the next answer is a whole
 * list, which replaces what onFailure showed.
 */
export class RoomListPoller {
  /**
   * @param {object} opts
   * @param {number} opts.intervalMs
   * @param {(rooms: object[]) => void} opts.onRooms the list, as the server sends it
   * @param {() => void} opts.onFailure the list could not be read
   * @param {() => boolean} [opts.paused] true to skip the regular polls
   * @param {number} [opts.soonMs=600] delay of a poll asked for by soon()
   */
  constructor({ intervalMs, onRooms, onFailure, paused = () => false, soonMs = 600 }) {
    this.intervalMs = intervalMs;
    this.onRooms = onRooms;
    this.onFailure = onFailure;
    this.paused = paused;
    this.soonMs = soonMs;
    this._timer = 0;
    this._soon = 0;
    this._busy = false;
    this._etag = '';
  }

  /** Polls now and from now on. */
  start() {
    this.refresh();
    clearInterval(this._timer);
    this._timer = setInterval(() => {
      if (!document.hidden && !this.paused()) this.refresh();
    }, this.intervalMs);
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.refresh();
    });
  }

  /** Asks for a poll shortly; several asks make one poll. */
  soon() {
    if (this._soon) return;
    this._soon = setTimeout(() => {
      this._soon = 0;
      this.refresh();
    }, this.soonMs);
  }

  /** Polls now, unless a poll is under way. */
  async refresh() {
    if (this._busy) return;
    this._busy = true;
    try {
      const r = await getJSON('/api/rooms', { etag: this._etag });
      if (r.notModified) return;
      if (!r.ok || !r.body) throw new Error(`HTTP ${r.status}`);
      this._etag = r.etag;
      this.onRooms(Array.isArray(r.body && r.body.rooms) ? r.body.rooms : []);
    } catch {
      this._etag = '';
      this.onFailure();
    } finally {
      this._busy = false;
    }
  }
}
