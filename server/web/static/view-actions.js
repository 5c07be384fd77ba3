// The parts of a message that change: its text (or "message deleted"), the
// actions on the user's own messages (Edit inline, Delete with an inline
// confirmation) and the reactions as chips, with a small picker to add one.
// Every piece of user data is set as text.

import { make } from './dom.js';
import { EMOJI, chipsOf } from './lifecycle.js';

/**
 * What a press on a message's controls asks of the page. Each promise
 * resolves once the server acknowledged the change and rejects when it was
 * refused (the page has said why by then); the change itself then arrives
 * as an event and updates the message.
 * @typedef {object} MessageActions
 * @property {(m: import('./view-messages.js').Message, text: string) => Promise<unknown>} edit
 * @property {(m: import('./view-messages.js').Message) => Promise<unknown>} remove
 * @property {(m: import('./view-messages.js').Message, emoji: string, on: boolean) => Promise<unknown>} react
 */

/**
 * The text of a message, or "message deleted" in its place.
 * @param {import('./view-messages.js').Message} m
 * @returns {HTMLElement}
 */
export function textElement(m) {
  if (m.deleted) return make('p', 'msg-deleted', 'message deleted');
  return make('p', 'msg-text', m.text);
}

/**
 * Edit and Delete of one of the user's own messages, appended to box.
 * @param {HTMLElement} box the message's actions
 * @param {HTMLLIElement} li the message's element
 * @param {import('./view-messages.js').Message} m
 * @param {MessageActions} actions
 */
export function ownActions(box, li, m, actions) {
  const edit = make('button', 'msg-action', 'Edit');
  edit.type = 'button';
  edit.dataset.testid = 'edit';
  edit.setAttribute('aria-label', 'Edit this message');
  edit.addEventListener('click', () => openEditor(li, m, actions));
  const del = make('button', 'msg-action', 'Delete');
  del.type = 'button';
  del.dataset.testid = 'delete';
  del.setAttribute('aria-label', 'Delete this message');
  del.addEventListener('click', () => confirmDelete(li, m, actions));
  box.append(edit, del);
}

/** Replaces the text with a form that edits it in place. */
function openEditor(li, m, actions) {
  if (li.dataset.editing === 'true' || m.deleted) return;
  const text = li.querySelector('.msg-text');
  if (!text) return;
  li.dataset.editing = 'true';
  const form = make('form', 'msg-edit');
  form.autocomplete = 'off';
  const input = make('input');
  input.type = 'text';
  input.value = m.text;
  input.dataset.testid = 'edit-input';
  input.setAttribute('aria-label', 'New text of the message');
  const save = make('button', 'btn btn-primary btn-small', 'Save');
  save.type = 'submit';
  save.dataset.testid = 'edit-save';
  const cancel = make('button', 'btn btn-quiet btn-small', 'Cancel');
  cancel.type = 'button';
  cancel.dataset.testid = 'edit-cancel';
  form.append(input, save, cancel);
  const close = () => {
    // The form may have moved to a newer element of the message (see
    // MessageList.update).
    const host = form.closest('li.msg');
    if (host) delete host.dataset.editing;
    form.replaceWith(textElement(m));
  };
  cancel.addEventListener('click', close);
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      close();
    }
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const next = input.value.trim();
    if (!next || next === m.text) {
      close();
      return;
    }
    save.disabled = true;
    actions.edit(m, next).then(close, () => {
      save.disabled = false; // refused: the text stays to be fixed
    });
  });
  text.replaceWith(form);
  input.focus();
}

/** Asks, inline, whether to delete the message. */
function confirmDelete(li, m, actions) {
  if (li.querySelector('.msg-confirm') || m.deleted) return;
  const box = make('div', 'msg-confirm');
  box.setAttribute('role', 'group');
  box.setAttribute('aria-label', 'Confirm the deletion');
  const yes = make('button', 'btn btn-danger btn-small', 'Delete');
  yes.type = 'button';
  yes.dataset.testid = 'delete-confirm';
  const no = make('button', 'btn btn-quiet btn-small', 'Cancel');
  no.type = 'button';
  no.dataset.testid = 'delete-cancel';
  box.append(make('span', 'msg-confirm-text', 'Delete this message for everyone?'), yes, no);
  no.addEventListener('click', () => box.remove());
  yes.addEventListener('click', () => {
    yes.disabled = true;
    actions.remove(m).then(() => box.remove(), () => box.remove());
  });
  li.append(box);
  no.focus();
}

/**
 * The reactions of a message: a chip per emoji with its count, pressed
 * when the user's own reaction is known to be on (a press toggles it), and
 * the "+" that opens a few emoji to add one. The row is hidden while it has
 * no chip and the emoji are closed; "+" goes with the message's actions.
 * @param {import('./view-messages.js').Message} m
 * @param {string} me
 * @param {MessageActions} actions
 * @returns {{row: HTMLElement, add: HTMLButtonElement}}
 */
export function reactionRow(m, me, actions) {
  const row = make('div', 'msg-reactions');
  const chips = chipsOf(m, me);
  for (const chip of chips) {
    const b = make('button', 'chip');
    b.type = 'button';
    b.dataset.testid = 'reaction';
    b.dataset.emoji = chip.emoji;
    b.dataset.count = String(chip.count);
    b.setAttribute('aria-pressed', String(chip.mine));
    b.append(make('span', 'chip-emoji', chip.emoji), make('span', 'chip-count', String(chip.count)));
    b.setAttribute('aria-label', `${chip.emoji} ${chip.count}${chip.mine ? ', yours included: press to take yours back' : ': press to add yours'}`);
    b.addEventListener('click', () => {
      b.disabled = true;
      actions.react(m, chip.emoji, !chip.mine).catch(() => { b.disabled = false; });
    });
    row.append(b);
  }
  const add = make('button', 'msg-action msg-react', '+');
  add.type = 'button';
  add.dataset.testid = 'react-add';
  add.setAttribute('aria-label', 'Add a reaction');
  add.setAttribute('aria-expanded', 'false');
  const picker = make('span', 'picker');
  picker.setAttribute('role', 'group');
  picker.setAttribute('aria-label', 'Reactions to add');
  const show = (open) => {
    picker.hidden = !open;
    row.hidden = !open && chips.length === 0;
    add.setAttribute('aria-expanded', String(open));
  };
  for (const emoji of EMOJI) {
    const p = make('button', 'chip chip-pick', emoji);
    p.type = 'button';
    p.dataset.testid = 'react-pick';
    p.dataset.emoji = emoji;
    p.setAttribute('aria-label', `React with ${emoji}`);
    p.addEventListener('click', () => {
      show(false);
      const r = m.reactions.get(emoji);
      if (r && r.users.get(me) === true) return; // on already
      actions.react(m, emoji, true).catch(() => {});
    });
    picker.append(p);
  }
  add.addEventListener('click', () => {
    show(picker.hidden);
    if (!picker.hidden) picker.firstChild.focus();
  });
  picker.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      show(false);
      add.focus();
    }
  });
  row.append(picker);
  show(false);
  return { row, add };
}
