// The client's settings and the pure parts of connecting: the URL and the
// delay before a reconnect.

/** The defaults of the client's options (see ClientOptions in index.d.ts). */
export const DEFAULTS = {
  history: 50,
  backoffMinMs: 250,
  backoffMaxMs: 5000,
  stableMs: 5000,
  pingMs: 20000,
  staleMs: 65000,
  connectTimeoutMs: 10000,
  ackTimeoutMs: 20000,
  joinRetryMs: 3000,
  maxTextBytes: 60000,
};

/**
 * The WebSocket URL: url (default `/ws` of the page) with the identity as
 * `?user=` or `?token=`; http(s): becomes ws(s):, and a URL without a path
 * (the server's base URL, as the Go client takes it) gets `/ws`: the root
 * is the chat page, never the WebSocket.
 * @param {string|undefined} url
 * @param {{user?: string, token?: string}} identity
 * @returns {string}
 */
export function wsURL(url, { user = '', token = '' }) {
  const base = typeof location !== 'undefined' ? location.href : 'http://localhost/';
  const u = new URL(url || '/ws', base);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/ws';
  u.searchParams.delete('user');
  u.searchParams.delete('token');
  if (token) u.searchParams.set('token', token);
  else u.searchParams.set('user', user);
  return u.toString();
}

/**
 * The delay before reconnect attempt n (0 first): exponential from min up
 * to max, with ±20% jitter so that clients cut at once do not come back at
 * once.
 * @param {number} n
 * @param {number} min
 * @param {number} max
 * @returns {number} milliseconds
 */
export function backoffDelay(n, min, max) {
  const base = Math.min(max, min * 2 ** n);
  return Math.min(max, Math.round(base * (0.8 + Math.random() * 0.4)));
}
