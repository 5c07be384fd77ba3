// "alice is typing…": the typing notices of other members, shown below the
// messages of the room shown for a few seconds after each, and the user's
// own notices, sent while they type (the client sends at most one per 2 s).

/** A notice shows this long unless another follows. */
const HOLD_MS = 4000;

/**
 * The words for the users typing.
 * @param {string[]} users
 * @returns {string}
 */
export function typingSentence(users) {
  if (users.length === 0) return '';
  if (users.length === 1) return `${users[0]} is typing…`;
  if (users.length === 2) return `${users[0]} and ${users[1]} are typing…`;
  return `${users.length} people are typing…`;
}

export class TypingIndicator {
  /**
   * @param {HTMLElement} el where the sentence goes (hidden when none)
   * @param {number} [holdMs]
   */
  constructor(el, holdMs = HOLD_MS) {
    this.el = el;
    this.holdMs = holdMs;
    /** room -> user -> the time the notice ends */
    this._until = new Map();
    this._room = null;
    this._timer = 0;
  }

  /** A typing frame of another member. */
  seen(room, user) {
    if (!this._until.has(room)) this._until.set(room, new Map());
    this._until.get(room).set(user, Date.now() + this.holdMs);
    if (room === this._room) this.render();
  }

  /** The user wrote (a message of theirs arrived): no longer typing. */
  stopped(room, user) {
    const m = this._until.get(room);
    if (m && m.delete(user) && room === this._room) this.render();
  }

  /** The room shown, or null. */
  show(room) {
    this._room = room;
    this.render();
  }

  /** Forgets a room left. */
  forget(room) {
    this._until.delete(room);
    if (room === this._room) this.render();
  }

  render() {
    clearTimeout(this._timer);
    const now = Date.now();
    const m = this._room ? this._until.get(this._room) : undefined;
    const users = [];
    let next = Infinity;
    for (const [user, until] of m || []) {
      if (until <= now) m.delete(user);
      else {
        users.push(user);
        next = Math.min(next, until);
      }
    }
    users.sort();
    this.el.textContent = typingSentence(users);
    this.el.hidden = users.length === 0;
    if (next < Infinity) this._timer = setTimeout(() => this.render(), next - now + 10);
  }
}
