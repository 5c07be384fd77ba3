// What the chat page shows of its state: the room shown (head, rules,
// composer, members, messages), the lists of joined rooms and direct rooms,
// and the document's title. app.js owns the state and calls these after
// each change; they read it through the functions they are given and write
// only to the page.

import { isDMName, peerOf } from './dms.js';
import { renderMembers } from './view-members.js';
import { renderComposer, renderRoomHead, roomViewOf } from './view-room.js';
import { markJoined, renderJoined } from './view-rooms.js';
import { renderRules } from './view-rules.js';

/**
 * The page's state as the renderer reads it.
 * @typedef {object} PageState
 * @property {Map<string, object>} views joined rooms by name (app.js's View)
 * @property {string[]} order joined rooms in the order they were joined
 * @property {() => string|null} current the name of the room shown
 * @property {() => object|null} currentView the room shown
 * @property {() => string} me the user's name, '' before the hello
 * @property {() => string} conn the connection's state
 * @property {(name: string) => void} switchTo shows a joined room
 * @property {() => void} markRead marks the room shown as read as far as seen
 */

export class PageRender {
  /**
   * @param {object} el the page's elements (dom.js)
   * @param {object} rel the elements of rooms with rules (rules-page.js)
   * @param {import('./view-messages.js').MessageList} messageList
   * @param {import('./reading.js').Reader} reader
   * @param {() => import('./rules-page.js').RulesPage} rules the rules page, once made
   * @param {PageState} state
   */
  constructor(el, rel, messageList, reader, rules, state) {
    Object.assign(this, { el, rel, messageList, reader, rules, state });
  }

  /** What the page calls a room: a direct room by its other user. */
  labelOf(v) {
    return isDMName(v.name) ? peerOf(v, this.state.me()) || 'direct message' : v.name;
  }

  /** Whether the user is muted in v, as the server said or a refused send showed. */
  isMuted(v) {
    return !!v && v.room.state === 'joined' && (v.room.muted || v.mutedHint);
  }

  /** The room shown as the views read it, a direct room by its other user. */
  shownView() {
    const v = this.state.currentView();
    const rv = roomViewOf(v);
    if (rv) Object.assign(rv, { name: this.labelOf(v), muted: this.isMuted(v) });
    return rv;
  }

  /** The room shown's head and its rules; with no room shown, no typing line. */
  head() {
    const v = this.state.currentView();
    renderRoomHead(this.el, this.shownView(), this.state.order.length > 0, this.state.conn());
    renderRules(this.rel, v, this.state.me(), this.isMuted(v));
    if (!v) this.rules().typing.show(null);
  }

  /** The message box and its button, as the room shown and the connection allow. */
  composer() {
    renderComposer(this.el, this.shownView(), this.state.conn());
  }

  /** The member list of the room shown, with the actions the user may take. */
  members() {
    const v = this.state.currentView();
    renderMembers(this.el, v ? v.name : null, v && v.room.synced ? v.room.members() : null, this.state.me(),
      v ? v.room.rules : null, (action, user) => this.rules().act(action, user));
  }

  /** The lists of joined rooms and of direct rooms, with their unread counts. */
  joinedRooms() {
    const { views, order, me, switchTo } = this.state;
    const current = this.state.current();
    const entry = (name) => {
      const v = views.get(name);
      const u = this.reader.unreadOf(v, me());
      const priv = isDMName(name) ? false : !!v.room.rules?.private;
      return { name, label: this.labelOf(v), private: priv, state: v.room.state, unread: u.count, mentions: u.mentions };
    };
    renderJoined(this.el, order.filter((n) => !isDMName(n)).map(entry), current, switchTo);
    renderJoined({ joined: this.rel.dms, joinedEmpty: this.rel.dmsEmpty }, order.filter(isDMName).map(entry), current, switchTo);
  }

  /** The document's title: the unread count, or the room shown. */
  title() {
    const { views, order, me } = this.state;
    const unread = order.reduce((n, name) => n + this.reader.unreadOf(views.get(name), me()).count, 0);
    const v = this.state.currentView();
    document.title = unread > 0 ? `(${unread}) chatstate` : v ? `${this.labelOf(v)} · chatstate` : 'chatstate';
  }

  /** Everything but the message list, which changes by folds (fold, messages). */
  all() {
    this.joinedRooms();
    this.head();
    this.members();
    this.composer();
    markJoined(this.el, (name) => this.state.views.has(name));
    this.title();
  }

  /** Rebuilds the message list of the room shown. */
  messages(toBottom) {
    const v = this.state.currentView();
    this.messageList.render(v ? v.name : null, v ? v.messages : [], this.state.me(), toBottom);
    this.head();
  }

  /** Shows what a fold changed in v's messages, if v is the room shown. */
  fold(v, fold) {
    if (v.name !== this.state.current()) return;
    const me = this.state.me();
    if (fold.rebuilt) {
      this.messages(true);
    } else {
      for (const m of fold.changed) this.messageList.update(m, me);
      for (const m of fold.added) this.messageList.append(m, me, v.messages.length);
      if (fold.added.length) this.el.emptyHint.hidden = true;
    }
    this.state.markRead();
  }
}
