// The error of every failed request of the client.

/**
 * The error a promise of the client rejects with, and the payload of the
 * `error` events.
 *
 * `code` is one of the server's error codes (`bad_request`, `unauthorized`,
 * `forbidden`, `not_member`, `not_found`, `too_large`, `rate_limited`,
 * `unavailable`, `internal`), with `detail` the server's words, or one of
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
