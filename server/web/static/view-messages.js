// The message list of the room shown: one <li class="msg"> per message, with
// author, local time and text, all set as text.

import { make } from './dom.js';
import { formatTime } from './util.js';

/** How many messages a room keeps in memory (and on screen). */
export const MAX_KEPT = 1000;

/**
 * A message as the page shows it.
 * @typedef {{cursor: number, id: string, user: string, ts: string, text: string, session: string}} Message
 */

/**
 * The message of a log entry.
 * @param {number} cursor
 * @param {object} ev a message event
 * @returns {Message}
 */
export function toMessage(cursor, ev) {
  return {
    cursor,
    id: String(ev.id ?? ''),
    user: String(ev.user ?? ''),
    ts: String(ev.ts ?? ''),
    text: String(ev.text ?? ''),
    session: String(ev.session ?? ''),
  };
}

/**
 * Appends the messages of entries to messages, keeping at most MAX_KEPT.
 * @param {Message[]} messages
 * @param {{cursor: number, event: object}[]} entries
 * @returns {Message[]} the messages appended
 */
export function addMessages(messages, entries) {
  const added = [];
  for (const e of entries) {
    if (e.event && e.event.type === 'message') {
      const m = toMessage(e.cursor, e.event);
      messages.push(m);
      added.push(m);
    }
  }
  if (messages.length > MAX_KEPT) messages.splice(0, messages.length - MAX_KEPT);
  return added;
}

/**
 * The element of one message; me is the page's user, whose messages are
 * marked as own.
 * @param {Message} m
 * @param {string} me
 * @returns {HTMLLIElement}
 */
export function messageElement(m, me) {
  const li = make('li', 'msg');
  li.dataset.cursor = String(m.cursor);
  li.dataset.user = m.user;
  const own = m.user === me;
  if (own) {
    li.classList.add('is-own');
    li.dataset.own = 'true';
  }
  const head = make('div', 'msg-head');
  head.append(make('span', 'msg-author', m.user));
  if (own) head.append(make('span', 'msg-you', 'you'));
  const t = formatTime(m.ts);
  const time = make('time', 'msg-time', t.short);
  time.dateTime = m.ts;
  time.title = t.long;
  head.append(time);
  li.append(head, make('p', 'msg-text', m.text));
  return li;
}

/** The list (#messages) in its scroller (#scroller). */
export class MessageList {
  /**
   * @param {HTMLElement} list
   * @param {HTMLElement} scroller
   */
  constructor(list, scroller) {
    this.list = list;
    this.scroller = scroller;
    scroller.addEventListener('keydown', (ev) => {
      if (ev.key === 'End') this.scrollToBottom();
    });
  }

  /** Whether the view is at (or close to) the newest message. */
  nearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 120;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /**
   * Rebuilds the list.
   * @param {string|null} room the room's name, null for none
   * @param {Message[]} messages
   * @param {string} me
   * @param {boolean} toBottom scroll to the newest
   */
  render(room, messages, me, toBottom) {
    const frag = document.createDocumentFragment();
    for (const m of messages) frag.append(messageElement(m, me));
    this.list.replaceChildren(frag);
    this.list.setAttribute('aria-label', room ? `Messages in ${room}` : 'Messages');
    if (toBottom) this.scrollToBottom();
  }

  /**
   * Appends one message, keeping the list as long as keep; follows it down
   * when the view was at the bottom or the message is the user's own.
   * @param {Message} m
   * @param {string} me
   * @param {number} keep
   */
  append(m, me, keep) {
    const stick = this.nearBottom() || m.user === me;
    this.list.append(messageElement(m, me));
    while (this.list.children.length > keep) this.list.firstChild.remove();
    if (stick) this.scrollToBottom();
  }
}
