// The protocol state of one joined room, kept apart from the socket and the
// DOM so that the rules (snapshot, resume, dedupe by cursor, member counting)
// sit in one place. The client (client.js) owns one per room.

/**
 * An entry of a room's log as the server sends it.
 * @typedef {{cursor: number, event: object}} Entry
 */

/**
 * A member of a room and the number of their sessions in it.
 * @typedef {{user: string, sessions: number}} Member
 */

export class RoomState {
  /** @param {string} name */
  constructor(name) {
    this.name = name;
    /** joining (a join is due or under way), joined, leaving */
    this.state = 'joining';
    /** true once a snapshot arrived: cursor and epoch are meaningful */
    this.synced = false;
    /** the last cursor seen in this room */
    this.cursor = -1;
    /** the epoch of the log the cursor belongs to */
    this.epoch = '';
    /** user -> number of sessions */
    this.members = new Map();
    /** the room's total message count */
    this.messageCount = 0;
    /** some older events could not be delivered */
    this.truncated = false;
  }

  /**
   * Applies a snapshot. The first snapshot, and any rejoin the server did not
   * resume, starts the room afresh: every entry of the snapshot is new. A
   * resumed rejoin keeps what was seen and takes only the entries after the
   * last cursor seen, so that nothing comes twice.
   * @param {object} snap the snapshot frame
   * @returns {{reset: boolean, entries: Entry[]}} whether the room started
   *   afresh, and the entries not seen before, oldest first
   */
  applySnapshot(snap) {
    const rejoin = this.synced;
    const events = Array.isArray(snap.events) ? snap.events : [];
    const reset = !rejoin || !snap.resumed;
    const entries = [];
    this.members = new Map();
    for (const m of Array.isArray(snap.members) ? snap.members : []) {
      if (m && typeof m.user === 'string' && m.sessions > 0) this.members.set(m.user, m.sessions);
    }
    if (typeof snap.messages === 'number') this.messageCount = snap.messages;
    if (reset) {
      this.truncated = !!snap.truncated;
      for (const e of events) {
        if (e && e.event) entries.push(e);
      }
      this.cursor = typeof snap.cursor === 'number' ? snap.cursor : -1;
    } else {
      if (snap.truncated) this.truncated = true;
      for (const e of events) {
        if (!e || typeof e.cursor !== 'number' || e.cursor <= this.cursor) continue;
        this.cursor = e.cursor;
        if (e.event) entries.push(e);
      }
      if (typeof snap.cursor === 'number' && snap.cursor > this.cursor) this.cursor = snap.cursor;
    }
    this.epoch = String(snap.epoch ?? '');
    this.synced = true;
    if (this.state !== 'leaving') this.state = 'joined';
    return { reset, entries };
  }

  /**
   * Applies one live event. Returns null when the event is old (cursor
   * already seen) or arrives before the room's snapshot; otherwise whether
   * it changed the members.
   * @param {number} cursor
   * @param {object} ev
   * @returns {{members: boolean} | null}
   */
  applyEvent(cursor, ev) {
    if (!this.synced || this.state === 'joining') return null;
    if (typeof cursor !== 'number' || cursor <= this.cursor || !ev) return null;
    this.cursor = cursor;
    switch (ev.type) {
      case 'message':
        this.messageCount++;
        return { members: false };
      case 'join':
        this.members.set(ev.user, (this.members.get(ev.user) || 0) + 1);
        return { members: true };
      case 'leave':
      case 'expire': {
        const n = (this.members.get(ev.user) || 0) - 1;
        if (n > 0) this.members.set(ev.user, n);
        else this.members.delete(ev.user);
        return { members: true };
      }
      default:
        return { members: false };
    }
  }

  /**
   * Members sorted by name (byte order, as the server sorts them).
   * @returns {Member[]}
   */
  memberList() {
    return [...this.members.entries()]
      .map(([user, sessions]) => ({ user, sessions }))
      .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  }
}
