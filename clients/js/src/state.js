// The protocol state of one room, kept apart from the socket so that the
// rules (snapshot, resume, dedupe by cursor, member counting) sit in one
// place. Each Room of the client owns one.

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
    /** true once a snapshot arrived: members and counts are known */
    this.synced = false;
    /** true once cursor and epoch name a place in the log to resume from */
    this.positioned = false;
    /** the last cursor delivered in this room (-1: none, the room's start) */
    this.cursor = -1;
    /** the epoch of the log the cursor belongs to */
    this.epoch = '';
    /** user -> number of sessions */
    this.members = new Map();
    /** the room's total message count */
    this.messageCount = 0;
    /** some events could not be delivered (retention, or the resume cap) */
    this.truncated = false;
  }

  /**
   * Takes a position kept from an earlier life of the room (a store), so
   * that the first join resumes from it.
   * @param {{cursor: number, epoch: string}} p
   */
  restore(p) {
    this.cursor = p.cursor;
    this.epoch = p.epoch;
    this.positioned = true;
  }

  /**
   * What a join asks to resume from, or null for a fresh history.
   * @returns {{after: number, epoch: string}|null}
   */
  resumeFrom() {
    return this.positioned ? { after: this.cursor, epoch: this.epoch } : null;
  }

  /**
   * Applies the snapshot that answers a join. The server resumes a join
   * whose `after` is no higher than the room's cursor, in the same epoch;
   * otherwise (no `after`, a new log, a cursor from the future) it answers
   * with a fresh history, and the room starts afresh: every entry is new. A
   * resume keeps what was delivered and takes only the entries after the
   * last cursor, so that nothing comes twice; when the resume was cut (more
   * events than the server's cap, or lost to retention) `gap` says that
   * some events between the last cursor and the first entry are missing.
   * @param {object} snap the snapshot frame
   * @param {{after: number, epoch: string}|null} sent what the join asked
   * @returns {{reset: boolean, gap: boolean, entries: Entry[]}}
   */
  applySnapshot(snap, sent) {
    const events = Array.isArray(snap.events) ? snap.events : [];
    const cursor = typeof snap.cursor === 'number' ? snap.cursor : -1;
    const epoch = String(snap.epoch ?? '');
    const honoured = !!sent && (!sent.epoch || sent.epoch === epoch) && sent.after <= cursor;
    const reset = !honoured;
    const gap = honoured && !snap.resumed;
    const entries = [];
    this.members = new Map();
    for (const m of Array.isArray(snap.members) ? snap.members : []) {
      if (m && typeof m.user === 'string' && m.sessions > 0) this.members.set(m.user, m.sessions);
    }
    if (typeof snap.messages === 'number') this.messageCount = snap.messages;
    if (reset) {
      this.truncated = !!snap.truncated;
      for (const e of events) {
        if (e && typeof e.cursor === 'number' && e.event) entries.push(e);
      }
      this.cursor = cursor;
    } else {
      if (snap.truncated) this.truncated = true;
      for (const e of events) {
        if (!e || typeof e.cursor !== 'number' || e.cursor <= this.cursor) continue;
        this.cursor = e.cursor;
        if (e.event) entries.push(e);
      }
      if (cursor > this.cursor) this.cursor = cursor;
    }
    this.epoch = epoch;
    this.synced = true;
    this.positioned = true;
    if (this.state !== 'leaving') this.state = 'joined';
    return { reset, gap, entries };
  }

  /**
   * Applies one live event. Returns null when the event is old (cursor
   * already delivered) or arrives before the room's snapshot; otherwise
   * whether it changed the members.
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
