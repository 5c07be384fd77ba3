// The member list of the room shown (#members, #member-count,
// #members-empty), names set as text.

import { make } from './dom.js';

/**
 * Renders the members.
 * @param {{members: HTMLElement, memberCount: HTMLElement, membersEmpty: HTMLElement}} el
 * @param {boolean} inRoom whether a room is shown
 * @param {{user: string, sessions: number}[]|null} list the members, null
 *   while the room's snapshot is awaited
 * @param {string} me the page's user, marked is-me
 */
export function renderMembers(el, inRoom, list, me) {
  el.members.replaceChildren();
  for (const m of list || []) {
    const li = make('li', 'member', m.user);
    li.dataset.user = m.user;
    li.dataset.sessions = String(m.sessions);
    if (m.user === me) li.classList.add('is-me');
    li.title = m.sessions > 1 ? `${m.user}: ${m.sessions} sessions` : m.user;
    el.members.append(li);
  }
  el.memberCount.textContent = list ? `(${list.length})` : '';
  el.membersEmpty.textContent = inRoom ? 'Nobody here yet.' : 'Join a room to see who is there.';
  el.membersEmpty.hidden = !!list && list.length > 0;
}
