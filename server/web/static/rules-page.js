// The page's side of rooms with rules: invitations shown as notices (a
// direct room opens by itself in Direct messages), the member menu's
// actions, the owner's settings form, typing notices sent while the user
// types, the notice of a kick or a ban, and the form that starts a direct
// room.

import { elements } from './dom.js';
import { isDMName, Notices } from './dms.js';
import { errorSentence } from './errors.js';
import { isName } from './protocol.js';
import { TypingIndicator } from './typing.js';
import { removedSentence, toggleInvite, toggleSettings } from './view-rules.js';

export const ruleElements = () => elements({
  roomTopic: 'room-topic',
  roomLock: 'room-lock',
  settingsButton: 'settings-button',
  settingsForm: 'settings-form',
  topicInput: 'topic-input',
  privateInput: 'private-input',
  inviteButton: 'invite-button',
  inviteForm: 'invite-form',
  inviteInput: 'invite-input',
  mutedNotice: 'muted-notice',
  typing: 'typing',
  notices: 'notices',
  dms: 'dms',
  dmsEmpty: 'dms-empty',
  dmForm: 'dm-form',
  dmInput: 'dm-input',
});

/** What a press in the member menu does, and the words of its failure. */
const ACTIONS = {
  mod: ['making a moderator', (room, user) => room.role(user, 'moderator')],
  unmod: ['removing a moderator', (room, user) => room.role(user, 'member')],
  mute: ['muting', (room, user) => room.mute(user, true)],
  unmute: ['unmuting', (room, user) => room.mute(user, false)],
  kick: ['kicking', (room, user) => room.kick(user)],
  ban: ['banning', (room, user) => room.ban(user, true)],
};

export class RulesPage {
  /**
   * @param {object} el ruleElements() and messageInput
   * @param {object} page
   * @param {() => ({name: string, room: object, mutedHint?: boolean}|null)} page.current
   * @param {() => string} page.me
   * @param {(name: string) => void} page.join joins a room and shows it
   * @param {(user: string, focus: boolean) => void} page.openDM
   * @param {(code: string, sentence: string, detail?: string) => void} page.showError
   * @param {() => void} page.render
   */
  constructor(el, page) {
    this.el = el;
    this.page = page;
    this.notices = new Notices(el.notices);
    this.typing = new TypingIndicator(el.typing);
    el.settingsButton.addEventListener('click', () => toggleSettings(el, page.current()?.room.rules || null));
    el.settingsForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.saveSettings();
    });
    el.inviteButton.addEventListener('click', () => toggleInvite(el));
    el.inviteForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.invite();
    });
    el.messageInput.addEventListener('input', () => {
      const v = page.current();
      if (v && el.messageInput.value.trim()) v.room.typing();
    });
    el.dmForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const user = el.dmInput.value.trim();
      if (!isName(user) || user === page.me()) {
        el.dmInput.setAttribute('aria-invalid', 'true');
        page.showError('', user === page.me() ? 'A direct message is with another user' : 'Type the name of a user');
        return;
      }
      el.dmInput.removeAttribute('aria-invalid');
      el.dmInput.value = '';
      page.openDM(user, true);
    });
  }

  /** The client's `invited` frames. */
  invited({ room, by }) {
    if (isDMName(room)) {
      // A direct room another user opened: it shows in Direct messages.
      this.page.openDM(by, false);
      return;
    }
    this.notices.add(`invite:${room}`, 'invited', `${by} invited you to ${room}`, () => this.page.join(room));
  }

  /** A room of the page turned left: a kick or a ban says so. */
  left(name, label, why) {
    this.typing.forget(name);
    if (why && (why.reason === 'kick' || why.reason === 'ban')) {
      this.notices.add(`left:${name}`, why.reason, removedSentence(why.reason, label, why.by || ''));
    }
  }

  /** A press in the member menu of the room shown. */
  act(action, user) {
    if (action === 'message') {
      this.page.openDM(user, true);
      return;
    }
    const v = this.page.current();
    const a = ACTIONS[action];
    if (!v || !a) return;
    a[1](v.room, user).catch((err) => {
      this.page.showError(err.code, `Failed ${a[0]} ${user}: ${errorSentence(err.code)}`, err.detail);
    });
  }

  /** Invites the user named in the invite form to the room shown. */
  invite() {
    const v = this.page.current();
    const user = this.el.inviteInput.value.trim();
    if (!v) return;
    if (!isName(user) || user === this.page.me()) {
      this.el.inviteInput.setAttribute('aria-invalid', 'true');
      this.page.showError('', user === this.page.me() ? 'You are in the room already' : 'Type the name of a user');
      return;
    }
    this.el.inviteInput.removeAttribute('aria-invalid');
    v.room.invite(user).then(() => {
      this.el.inviteInput.value = '';
      this.el.inviteForm.hidden = true;
      this.el.inviteButton.setAttribute('aria-expanded', 'false');
      this.notices.add(`invited:${v.name}:${user}`, 'sent', `${user} is invited to ${v.name}`);
    }, (err) => {
      this.page.showError(err.code, `Could not invite ${user}: ${errorSentence(err.code)}`, err.detail);
    });
  }

  saveSettings() {
    const v = this.page.current();
    if (!v) return;
    const topic = this.el.topicInput.value.trim();
    v.room.settings({ topic, private: this.el.privateInput.checked }).then(() => {
      this.el.settingsForm.hidden = true;
      this.el.settingsButton.setAttribute('aria-expanded', 'false');
    }, (err) => {
      this.page.showError(err.code, `The settings were not saved: ${errorSentence(err.code)}`, err.detail);
    });
  }
}
