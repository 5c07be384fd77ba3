// A minimal event emitter, the same in browsers and in Node.

/** Calls listeners by event type. */
export class Emitter {
  constructor() {
    /** @type {Map<string, Set<Function>>} */
    this._listeners = new Map();
  }

  /**
   * Calls fn with the payload of every `type` event from now on.
   * @param {string} type
   * @param {Function} fn
   * @returns {() => void} a function that removes the listener
   */
  on(type, fn) {
    let set = this._listeners.get(type);
    if (!set) this._listeners.set(type, (set = new Set()));
    set.add(fn);
    return () => this.off(type, fn);
  }

  /**
   * Calls fn with the payload of the next `type` event only.
   * @param {string} type
   * @param {Function} fn
   * @returns {() => void} a function that removes the listener
   */
  once(type, fn) {
    const off = this.on(type, (payload) => {
      off();
      fn(payload);
    });
    return off;
  }

  /**
   * Removes a listener added with `on`.
   * @param {string} type
   * @param {Function} fn
   */
  off(type, fn) {
    const set = this._listeners.get(type);
    if (set) set.delete(fn);
  }

  /**
   * Calls the listeners of type with payload. A listener that throws stops
   * neither the others nor the client: its error is thrown again on its own
   * (the browser reports it; Node treats it as an uncaught exception, as it
   * does for its own emitters).
   * @param {string} type
   * @param {*} payload
   */
  emit(type, payload) {
    const set = this._listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(payload);
      } catch (err) {
        queueMicrotask(() => { throw err; });
      }
    }
  }
}
