// The message list of the room shown: one <li class="msg"> per message, with
// author, local time, text and reactions, all set as text; a message changed
// by an edit, a delete or a reaction is updated in place.

import { make } from './dom.js';
import { reactionsOf } from './lifecycle.js';
import { formatTime } from './util.js';
import { ownActions, reactionRow, textElement } from './view-actions.js';

/** How many messages a room keeps in memory (and on screen). */
export const MAX_KEPT = 1000;

/**
 * A message as the page shows it, in its current state: `text` the latest
 * (empty once deleted), and the reactions by emoji (see lifecycle.js).
 * @typedef {object} Message
 * @property {number} cursor
 * @property {string} id
 * @property {string} user
 * @property {string} ts
 * @property {string} text
 * @property {string} session
 * @property {boolean} edited
 * @property {boolean} deleted
 * @property {Map<string, import('./lifecycle.js').Reaction>} reactions
 */

/**
 * The message of a log entry, in the state the event shows (a snapshot's
 * messages carry `edited`, `deleted` and `reactions`).
 * @param {number} cursor
 * @param {object} ev a message event
 * @returns {Message}
 */
export function toMessage(cursor, ev) {
  const deleted = ev.deleted === true;
  return {
    cursor,
    id: String(ev.id ?? ''),
    user: String(ev.user ?? ''),
    ts: String(ev.ts ?? ''),
    text: deleted ? '' : String(ev.text ?? ''),
    session: String(ev.session ?? ''),
    edited: ev.edited === true,
    deleted,
    reactions: deleted ? new Map() : reactionsOf(ev.reactions),
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
 * marked as own and have Edit and Delete.
 * @param {Message} m
 * @param {string} me
 * @param {import('./view-actions.js').MessageActions} actions
 * @returns {HTMLLIElement}
 */
export function messageElement(m, me, actions) {
  const li = make('li', 'msg');
  li.dataset.cursor = String(m.cursor);
  li.dataset.user = m.user;
  li.dataset.id = m.id;
  const own = m.user === me;
  if (own) {
    li.classList.add('is-own');
    li.dataset.own = 'true';
  }
  if (m.deleted) li.classList.add('is-deleted');
  const head = headElement(m, own);
  li.append(head, textElement(m));
  if (!m.deleted) {
    // "+" for every message, Edit and Delete for one's own.
    const box = make('span', 'msg-actions');
    const { row, add } = reactionRow(m, me, actions);
    box.append(add);
    if (own) ownActions(box, li, m, actions);
    head.append(box);
    li.append(row);
  }
  return li;
}

/** The head of a message: author, "you", time, "(edited)". */
function headElement(m, own) {
  const head = make('div', 'msg-head');
  head.append(make('span', 'msg-author', m.user));
  if (own) head.append(make('span', 'msg-you', 'you'));
  const t = formatTime(m.ts);
  const time = make('time', 'msg-time', t.short);
  time.dateTime = m.ts;
  time.title = t.long;
  head.append(time);
  if (m.edited && !m.deleted) head.append(make('span', 'msg-edited', '(edited)'));
  return head;
}

/** The list (#messages) in its scroller (#scroller). */
export class MessageList {
  /**
   * @param {HTMLElement} list
   * @param {HTMLElement} scroller
   * @param {import('./view-actions.js').MessageActions} actions
   */
  constructor(list, scroller, actions) {
    this.list = list;
    this.scroller = scroller;
    this.actions = actions;
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
    for (const m of messages) frag.append(messageElement(m, me, this.actions));
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
    this.list.append(messageElement(m, me, this.actions));
    while (this.list.children.length > keep) this.list.firstChild.remove();
    if (stick) this.scrollToBottom();
  }

  /**
   * Shows a message again after a change, in place. A message being edited
   * keeps its form (only its head and reactions change) unless deleted.
   * @param {Message} m
   * @param {string} me
   */
  update(m, me) {
    const li = [...this.list.children].find((c) => c.dataset.id === m.id);
    if (!li) return;
    const stick = this.nearBottom();
    const next = messageElement(m, me, this.actions);
    const form = li.dataset.editing === 'true' && !m.deleted ? li.querySelector('.msg-edit') : null;
    if (form) {
      next.dataset.editing = 'true';
      next.querySelector('.msg-text').replaceWith(form);
    }
    const confirm = !m.deleted ? li.querySelector('.msg-confirm') : null;
    if (confirm) next.append(confirm);
    const active = li.contains(document.activeElement) && !form && !confirm ? document.activeElement : null;
    li.replaceWith(next);
    if (active && active.dataset.testid) {
      // The same control of the new element keeps the focus.
      const same = [...next.querySelectorAll(`[data-testid="${active.dataset.testid}"]`)]
        .find((b) => b.dataset.emoji === active.dataset.emoji);
      if (same) same.focus();
    }
    if (stick) this.scrollToBottom();
  }
}
