// The requests that change a room: its read marker, its messages and its
// rules. Each is a frame about the room, settled by its ack; Room extends
// this class and gives it the client (_client), the room's name and its
// state (_state).

import { Emitter } from './emitter.js';
import { ChatError } from './errors.js';

const encoder = new TextEncoder();

/** The requests of a Room that change it; see Room. */
export class RoomChanges extends Emitter {
  /**
   * Moves the user's read marker of the room to cursor: every tab of the
   * user is then told the new unread count. A marker never moves back: a
   * cursor at or below it is acked and changes nothing.
   * @param {number} [cursor] default the room's last cursor delivered
   * @returns {Promise<{ref: string, room: string, cursor: number}>} resolves
   *   on the `ack` (`cursor` is the read event's); rejects with a ChatError:
   *   `offline`, `not_joined`, `send_failed`, `timeout`, `disconnected`, or
   *   the server's code (`bad_request` for a cursor past the room's end,
   *   `rate_limited`)
   */
  read(cursor = this.cursor) {
    if (!Number.isSafeInteger(cursor) || cursor < 0) return Promise.reject(new ChatError('bad_request', 'cursor must be an integer of at least 0'));
    return this._change('read', { cursor });
  }

  /**
   * Replaces the text of one of the user's own messages.
   * @param {string} id the message's id (its event's `id`)
   * @param {string} text 1 to 4096 bytes of UTF-8 after trimming
   * @returns {Promise<{ref: string, room: string, cursor: number}>} resolves
   *   on the `ack`; the room's members then get an `edit` event. Rejects
   *   as `read` does, with `too_large`, and with the server's `forbidden`
   *   (another user's message) or `not_found` (no such message among the
   *   room's last 500, or a deleted one)
   */
  edit(id, text) {
    const raw = String(text);
    if (encoder.encode(raw.trim()).length > this._client.options.maxTextBytes) return Promise.reject(new ChatError('too_large', 'the text is too long'));
    return this._change('edit', { id: String(id), text: raw });
  }

  /**
   * Deletes one of the user's own messages: its text is gone for everyone.
   * @param {string} id the message's id
   * @returns {Promise<{ref: string, room: string, cursor: number}>} as `edit`
   */
  delete(id) {
    return this._change('delete', { id: String(id) });
  }

  /**
   * `delete` under a name that is not a keyword.
   * @param {string} id
   * @returns {Promise<{ref: string, room: string, cursor: number}>}
   */
  remove(id) {
    return this.delete(id);
  }

  /**
   * Adds (on true) or removes the user's reaction to a message of any
   * member; the server keeps at most one per user and emoji.
   * @param {string} id the message's id
   * @param {string} emoji 1 to 32 bytes of UTF-8 without white space
   * @param {boolean} [on] default true
   * @returns {Promise<{ref: string, room: string, cursor: number}>} resolves
   *   on the `ack`; the members then get a `react` event. Rejects as `read`
   *   does, and with `not_found`
   */
  react(id, emoji, on = true) {
    return this._change('react', { id: String(id), emoji: String(emoji), on: !!on });
  }

  /**
   * Changes the room's settings (the owner's): either or both of its
   * privacy (a private room takes joins of its members and invited users
   * only) and its topic ('' for none, at most 256 bytes).
   * @param {{private?: boolean, topic?: string}} settings
   * @returns {Promise<{ref: string, room: string, cursor: number}>} resolves
   *   on the `ack`; the members then get a `settings` event. Rejects as
   *   `read` does, and with the server's `forbidden`, `bad_request` (neither
   *   field) or `too_large`
   */
  settings(settings = {}) {
    const fields = {};
    if (settings.private !== undefined) fields.private = !!settings.private;
    if (settings.topic !== undefined) fields.topic = String(settings.topic);
    return this._change('settings', fields);
  }

  /**
   * Makes a member a moderator or a plain member again (the owner's).
   * @param {string} user
   * @param {'moderator'|'member'} role
   * @returns {Promise<{ref: string, room: string, cursor: number}>} as `settings`
   */
  role(user, role) {
    return this._change('role', { user: String(user), role: String(role) });
  }

  /**
   * Invites a user, who may then join a private room; every session of
   * theirs gets an `invited` frame (Client event `invited`).
   * @param {string} user
   * @returns {Promise<{ref: string, room: string, cursor: number}>} as `settings`
   */
  invite(user) {
    return this._change('invite', { user: String(user) });
  }

  /**
   * Kicks a user out of the room (owner and moderators; never the owner):
   * every session of theirs leaves it.
   * @param {string} user
   * @returns {Promise<{ref: string, room: string, cursor: number}>} as `settings`
   */
  kick(user) {
    return this._change('kick', { user: String(user) });
  }

  /**
   * Bans (on true) or unbans a user: a banned user is kicked and joins the
   * room no more until unbanned.
   * @param {string} user
   * @param {boolean} [on] default true
   * @returns {Promise<{ref: string, room: string, cursor: number}>} as `settings`
   */
  ban(user, on = true) {
    return this._change('ban', { user: String(user), on: !!on });
  }

  /**
   * Mutes (on true) or unmutes a user: a muted user's `send`, `edit` and
   * `react` answer `forbidden`.
   * @param {string} user
   * @param {boolean} [on] default true
   * @returns {Promise<{ref: string, room: string, cursor: number}>} as `settings`
   */
  mute(user, on = true) {
    return this._change('mute', { user: String(user), on: !!on });
  }

  /** Sends a change of the room (read, edit, delete, react, the rules' ops), settled by its ack. */
  _change(op, fields) {
    const c = this._client;
    if (!c.live) return Promise.reject(new ChatError('offline', 'not connected'));
    if (this._state !== 'joined') return Promise.reject(new ChatError('not_joined', `not joined to ${this.name}`));
    return c._request({ ...fields, op, room: this.name }, { kind: 'request' })
      .then((f) => ({ ref: String(f.ref), room: String(f.room ?? this.name), cursor: f.cursor }));
  }
}
