// What the chatstate WebSocket protocol fixes and both the client and the
// pages need: the shape of names and the measure of texts. No DOM, no state.

/** Room and user names, as the server checks them. */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The most bytes of UTF-8 a message text may have after trimming. */
export const MAX_TEXT_BYTES = 4096;

/**
 * Whether s is a valid room or user name.
 * @param {string} s
 * @returns {boolean}
 */
export function isName(s) {
  return typeof s === 'string' && NAME_RE.test(s);
}

/**
 * The length of s in bytes of UTF-8, the measure the server applies.
 * @param {string} s
 * @returns {number}
 */
export function utf8Length(s) {
  return new TextEncoder().encode(s).length;
}
