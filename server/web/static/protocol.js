// What the chatstate WebSocket protocol fixes and the pages check before
// asking the server: the shape of names. No DOM, no state.

/** Room and user names, as the server checks them. */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Whether s is a valid room or user name.
 * @param {string} s
 * @returns {boolean}
 */
export function isName(s) {
  return typeof s === 'string' && NAME_RE.test(s);
}
