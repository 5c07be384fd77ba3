// The client-side state of one joined room, kept apart from the DOM so that
// the rules (snapshot, resume, dedupe by cursor, member counting) sit in one
// place.

/** Room and user names, as the server checks them. */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** How many messages a room keeps in memory (and on screen). */
export const MAX_KEPT = 1000;

/** Message view of an event entry {cursor, event}. */
function toMessage(cursor, ev) {
  return {
    cursor,
    id: String(ev.id ?? ''),
    user: String(ev.user ?? ''),
    ts: String(ev.ts ?? ''),
    text: String(ev.text ?? ''),
    session: String(ev.session ?? ''),
  };
}

export class RoomState {
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
    /** messages shown, oldest first */
    this.messages = [];
    /** the room's total message count */
    this.messageCount = 0;
    /** some older events could not be delivered */
    this.truncated = false;
    this.unread = 0;
    /** text in the message box while another room is shown */
    this.draft = '';
    this.joinRef = null;
    this.leaveRef = null;
  }

  /**
   * Applies a snapshot. The first snapshot, and any rejoin the server did not
   * resume, replaces the message list; a resumed rejoin appends the missed
   * events, skipping any cursor already seen.
   * Returns {reset, added}: whether the list was replaced, and the messages
   * appended otherwise.
   */
  applySnapshot(snap) {
    const rejoin = this.synced;
    const events = Array.isArray(snap.events) ? snap.events : [];
    const reset = !rejoin || !snap.resumed;
    const added = [];
    this.members = new Map();
    for (const m of Array.isArray(snap.members) ? snap.members : []) {
      if (m && typeof m.user === 'string' && m.sessions > 0) this.members.set(m.user, m.sessions);
    }
    if (typeof snap.messages === 'number') this.messageCount = snap.messages;
    if (reset) {
      this.messages = [];
      this.truncated = !!snap.truncated;
      for (const e of events) {
        if (e && e.event && e.event.type === 'message') this.messages.push(toMessage(e.cursor, e.event));
      }
      this.cursor = typeof snap.cursor === 'number' ? snap.cursor : -1;
    } else {
      if (snap.truncated) this.truncated = true;
      for (const e of events) {
        if (!e || typeof e.cursor !== 'number' || e.cursor <= this.cursor) continue;
        this.cursor = e.cursor;
        if (e.event && e.event.type === 'message') {
          const m = toMessage(e.cursor, e.event);
          this.messages.push(m);
          added.push(m);
        }
      }
      if (typeof snap.cursor === 'number' && snap.cursor > this.cursor) this.cursor = snap.cursor;
    }
    this.trim();
    this.epoch = String(snap.epoch ?? '');
    this.synced = true;
    if (this.state !== 'leaving') this.state = 'joined';
    return { reset, added };
  }

  /**
   * Applies one live event. Returns null when the event is old (cursor
   * already seen) or arrives before the room's snapshot; otherwise
   * {type, message?}.
   */
  applyEvent(cursor, ev) {
    if (!this.synced || this.state === 'joining') return null;
    if (typeof cursor !== 'number' || cursor <= this.cursor || !ev) return null;
    this.cursor = cursor;
    switch (ev.type) {
      case 'message': {
        const m = toMessage(cursor, ev);
        this.messages.push(m);
        this.messageCount++;
        this.trim();
        return { type: 'message', message: m };
      }
      case 'join':
        this.members.set(ev.user, (this.members.get(ev.user) || 0) + 1);
        return { type: 'join' };
      case 'leave':
      case 'expire': {
        const n = (this.members.get(ev.user) || 0) - 1;
        if (n > 0) this.members.set(ev.user, n);
        else this.members.delete(ev.user);
        return { type: ev.type };
      }
      default:
        return { type: String(ev.type) };
    }
  }

  /** Members sorted by name (byte order, as the server sorts them). */
  memberList() {
    return [...this.members.entries()]
      .map(([user, sessions]) => ({ user, sessions }))
      .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  }

  trim() {
    if (this.messages.length > MAX_KEPT) this.messages.splice(0, this.messages.length - MAX_KEPT);
  }
}
