// Direct rooms on the page: which joined rooms are direct, who the other
// user is, and the invitations (to rooms and to direct rooms) shown as
// notices the user can open.

import { make } from './dom.js';

const DM_NAME = /^dm-[0-9a-f]{32}$/;

/** @param {string} name @returns {boolean} whether it is a direct room's name */
export function isDMName(name) {
  return DM_NAME.test(name);
}

/**
 * The other user of a direct room, from its rules or what the page knew
 * when it opened it.
 * @param {{room: import('./chatstate-client/index.js').Room, peer?: string}} v
 * @param {string} me
 * @returns {string}
 */
export function peerOf(v, me) {
  const dm = v.room.rules ? v.room.rules.dm : [];
  return dm.find((u) => u !== me) || v.peer || '';
}

/**
 * The notices above the messages (#notices): invitations with Open, and
 * the page's news (a kick, a ban), each with Dismiss.
 */
export class Notices {
  /** @param {HTMLElement} list */
  constructor(list) {
    this.list = list;
  }

  /**
   * Shows a notice; one with the same key replaces the older.
   * @param {string} key
   * @param {string} kind data-kind: invited, kick, ban
   * @param {string} text
   * @param {(() => void)|null} [open] a press on Open, which also dismisses it
   */
  add(key, kind, text, open = null) {
    this.remove(key);
    const li = make('li', 'page-notice');
    li.dataset.key = key;
    li.dataset.kind = kind;
    li.dataset.testid = 'notice';
    li.append(make('span', 'page-notice-text', text));
    if (open) {
      const btn = make('button', 'btn btn-primary btn-small', 'Open');
      btn.type = 'button';
      btn.dataset.testid = 'notice-open';
      btn.addEventListener('click', () => {
        this.remove(key);
        open();
      });
      li.append(btn);
    }
    const close = make('button', 'btn btn-quiet btn-small', 'Dismiss');
    close.type = 'button';
    close.addEventListener('click', () => this.remove(key));
    li.append(close);
    this.list.append(li);
    this.list.hidden = false;
  }

  /** @param {string} key */
  remove(key) {
    for (const li of [...this.list.children]) if (li.dataset.key === key) li.remove();
    this.list.hidden = this.list.children.length === 0;
  }
}
