// The rules of the room shown: its topic and privacy in the head, the
// owner's settings form (topic, private), the invite form, and the user's
// own mute.

/**
 * Renders the topic, the lock, the Settings button and the muted notice.
 * @param {object} el roomTopic, settingsButton, settingsForm, topicInput,
 *   privateInput, inviteButton, inviteForm, mutedNotice
 * @param {{name: string, room: import('./chatstate-client/index.js').Room}|null} v
 * @param {string} me
 * @param {boolean} muted whether the user is muted there
 */
export function renderRules(el, v, me, muted) {
  const r = v && v.room.state === 'joined' ? v.room.rules : null;
  el.roomTopic.textContent = r && r.topic ? r.topic : '';
  el.roomTopic.hidden = !(r && r.topic);
  el.roomLock.hidden = !(r && r.private);
  const owner = !!r && r.owner !== '' && r.owner === me;
  el.settingsButton.hidden = !owner;
  if (!owner) el.settingsForm.hidden = true;
  // Invites are the owner's and the moderators', any member's in a public
  // room; a direct room is its two users' alone.
  const inviter = !!r && !(r.dm && r.dm.length) && (owner || r.moderators.includes(me) || !r.private);
  el.inviteButton.hidden = !inviter;
  if (!inviter) el.inviteForm.hidden = true;
  el.mutedNotice.hidden = !muted;
}

/**
 * Opens or closes the invite form.
 * @param {object} el inviteForm, inviteInput, inviteButton
 */
export function toggleInvite(el) {
  const open = el.inviteForm.hidden;
  el.inviteForm.hidden = !open;
  el.inviteButton.setAttribute('aria-expanded', String(open));
  if (open) el.inviteInput.focus();
}

/**
 * Opens or closes the settings form, filled with the room's settings.
 * @param {object} el settingsForm, topicInput, privateInput, settingsButton
 * @param {import('./chatstate-client/index.js').Rules|null} r
 */
export function toggleSettings(el, r) {
  const open = el.settingsForm.hidden && !!r;
  el.settingsForm.hidden = !open;
  el.settingsButton.setAttribute('aria-expanded', String(open));
  if (!open) return;
  el.topicInput.value = r.topic;
  el.privateInput.checked = r.private;
  el.topicInput.focus();
}

/**
 * The sentence of a member action's success, for the error bar's
 * neighbour, or of the kick or ban that ended the user's room.
 * @param {'kick'|'ban'} reason
 * @param {string} room the room's name as shown
 * @param {string} by
 * @returns {string}
 */
export function removedSentence(reason, room, by) {
  const how = reason === 'ban' ? 'banned from' : 'kicked out of';
  return `You were ${how} ${room}${by ? ` by ${by}` : ''}.`;
}
