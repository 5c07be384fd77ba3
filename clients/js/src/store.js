// Where a client keeps the position of each room (its last cursor and the
// log's epoch) beyond its own life, so that a page loaded again resumes its
// rooms instead of starting them afresh. A store is any object with
// load(room), save(room, position) and remove(room); these are two.

/**
 * The position of a room: the last cursor delivered and the epoch of the log
 * it belongs to.
 * @typedef {{cursor: number, epoch: string}} Position
 */

/**
 * Whether p is a usable position.
 * @param {*} p
 * @returns {boolean}
 */
export function isPosition(p) {
  return !!p && typeof p === 'object' && Number.isSafeInteger(p.cursor) && p.cursor >= -1 && typeof p.epoch === 'string';
}

/**
 * A store in memory: it outlives the clients that share it, not the process.
 * @returns {{load(room: string): Position|undefined, save(room: string, p: Position): void, remove(room: string): void, rooms(): string[]}}
 */
export function memoryStore() {
  const map = new Map();
  return {
    load: (room) => (map.has(room) ? { ...map.get(room) } : undefined),
    save: (room, p) => { map.set(room, { cursor: p.cursor, epoch: p.epoch }); },
    remove: (room) => { map.delete(room); },
    rooms: () => [...map.keys()],
  };
}

/**
 * A store in the browser's localStorage (or any object with getItem,
 * setItem and removeItem), one key per room: `prefix + room`. Give each user
 * a prefix of their own when a page may change users. A storage that throws
 * (full, or denied in a private window) is taken as empty: the rooms then
 * start afresh, as without a store.
 * @param {{prefix?: string, storage?: Storage}} [opts]
 */
export function localStorageStore({ prefix = 'chatstate:', storage = globalThis.localStorage } = {}) {
  const key = (room) => prefix + room;
  return {
    load(room) {
      try {
        const p = JSON.parse(storage.getItem(key(room)) || 'null');
        return isPosition(p) ? p : undefined;
      } catch {
        return undefined;
      }
    },
    save(room, p) {
      try {
        storage.setItem(key(room), JSON.stringify({ cursor: p.cursor, epoch: p.epoch }));
      } catch { /* see above */ }
    },
    remove(room) {
      try {
        storage.removeItem(key(room));
      } catch { /* see above */ }
    },
  };
}
