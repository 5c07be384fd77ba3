// Small helpers of both pages, without the DOM: counts in words, times,
// and the browser's storage.

/**
 * "1 member", "2 members".
 * @param {number} n
 * @param {string} one
 * @param {string} many
 * @returns {string}
 */
export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The local time of an RFC 3339 stamp for a message: the time of day today,
 * with the date on other days, and the full local date and time.
 * @param {string} ts
 * @returns {{short: string, long: string}} empty strings for a bad stamp
 */
export function formatTime(ts) {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return { short: '', long: '' };
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const short = sameDay ? time : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
  return { short, long: d.toLocaleString() };
}

/**
 * The local time of an RFC 3339 stamp with how long ago it was, and the
 * stamp itself as a title.
 * @param {string} ts
 * @returns {{text: string, title: string}} "—" for no stamp
 */
export function when(ts) {
  if (!ts) return { text: '—', title: '' };
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return { text: String(ts), title: '' };
  const secs = Math.max(0, Math.round((Date.now() - d.getTime()) / 1000));
  let ago;
  if (secs < 60) ago = `${secs} s ago`;
  else if (secs < 3600) ago = `${Math.floor(secs / 60)} min ago`;
  else if (secs < 86400) ago = `${Math.floor(secs / 3600)} h ago`;
  else ago = `${Math.floor(secs / 86400)} d ago`;
  return { text: `${d.toLocaleString()} (${ago})`, title: String(ts) };
}

/**
 * A value of localStorage, or '' when absent or when storage is off.
 * @param {string} key
 * @returns {string}
 */
export function storageGet(key) {
  try { return localStorage.getItem(key) || ''; } catch { return ''; }
}

/**
 * Stores a value in localStorage; does nothing when storage is off.
 * @param {string} key
 * @param {string} value
 */
export function storageSet(key, value) {
  try { localStorage.setItem(key, value); } catch { /* private mode */ }
}
