// The member list of the room shown (#members, #member-count,
// #members-empty), names set as text, with each member's role and mute,
// and the member menu: Message for anyone, and for the owner and the
// moderators Kick, Ban and Mute (and, the owner's, the moderator role).

import { make } from './dom.js';

/** The user whose menu is open, per room. */
let menuOf = { room: '', user: '' };

/**
 * What the page's user may do to user in a room with rules r.
 * @param {import('./chatstate-client/index.js').Rules|null} r
 * @param {string} me
 * @param {string} user
 * @returns {{label: string, action: string}[]}
 */
export function memberActions(r, me, user) {
  if (user === me) return [];
  const out = [{ label: 'Message', action: 'message' }];
  if (!r || r.dm.length) return out;
  const owner = r.owner === me;
  const mod = owner || r.moderators.includes(me);
  if (!mod || user === r.owner) return out;
  if (owner) {
    out.push(r.moderators.includes(user)
      ? { label: 'Remove moderator', action: 'unmod' }
      : { label: 'Make moderator', action: 'mod' });
  }
  out.push(r.muted.includes(user) ? { label: 'Unmute', action: 'unmute' } : { label: 'Mute', action: 'mute' });
  out.push({ label: 'Kick', action: 'kick' }, { label: 'Ban', action: 'ban' });
  return out;
}

/**
 * Renders the members.
 * @param {{members: HTMLElement, memberCount: HTMLElement, membersEmpty: HTMLElement}} el
 * @param {string|null} room the room shown
 * @param {{user: string, sessions: number}[]|null} list the members, null
 *   while the room's snapshot is awaited
 * @param {string} me the page's user, marked is-me
 * @param {import('./chatstate-client/index.js').Rules|null} [rules]
 * @param {(action: string, user: string) => void} [onAction] a press in a member's menu
 */
export function renderMembers(el, room, list, me, rules = null, onAction = () => {}) {
  const focused = document.activeElement?.closest?.('#members li')?.dataset.user;
  el.members.replaceChildren();
  if (menuOf.room !== room) menuOf = { room: room || '', user: '' };
  for (const m of list || []) {
    const li = make('li', 'member');
    li.dataset.user = m.user;
    li.dataset.sessions = String(m.sessions);
    if (m.user === me) li.classList.add('is-me');
    const btn = make('button', 'member-btn');
    btn.type = 'button';
    btn.append(make('span', 'member-name', m.user));
    const tags = [];
    if (rules && rules.owner === m.user) tags.push('owner');
    else if (rules && rules.moderators.includes(m.user)) tags.push('moderator');
    if (rules && rules.muted.includes(m.user)) tags.push('muted');
    for (const tag of tags) {
      const t = make('span', `member-tag tag-${tag}`, tag);
      t.dataset.testid = `member-${tag}`;
      btn.append(t);
    }
    btn.title = m.sessions > 1 ? `${m.user}: ${m.sessions} sessions` : m.user;
    const actions = memberActions(rules, me, m.user);
    btn.disabled = actions.length === 0;
    btn.setAttribute('aria-expanded', String(menuOf.user === m.user));
    btn.addEventListener('click', () => {
      menuOf = { room: room || '', user: menuOf.user === m.user ? '' : m.user };
      renderMembers(el, room, list, me, rules, onAction);
      el.members.querySelector(`li[data-user="${CSS.escape(m.user)}"] .member-menu button`)?.focus();
    });
    li.append(btn);
    if (menuOf.user === m.user && actions.length) {
      const menu = make('div', 'member-menu');
      menu.dataset.testid = 'member-menu';
      menu.setAttribute('role', 'group');
      menu.setAttribute('aria-label', `Actions for ${m.user}`);
      for (const a of actions) {
        const b = make('button', 'btn btn-quiet btn-small', a.label);
        b.type = 'button';
        b.dataset.action = a.action;
        b.addEventListener('click', () => {
          menuOf.user = '';
          onAction(a.action, m.user);
        });
        menu.append(b);
      }
      li.append(menu);
    }
    el.members.append(li);
    if (focused === m.user && menuOf.user !== m.user) btn.focus();
  }
  el.memberCount.textContent = list ? `(${list.length})` : '';
  el.membersEmpty.textContent = room ? 'Nobody here yet.' : 'Join a room to see who is there.';
  el.membersEmpty.hidden = !!list && list.length > 0;
}
