// The chat page's errors in words, and the bar that shows them.

import { byId } from './dom.js';

/** Human sentences for the server's error codes. */
export const ERROR_TEXT = {
  bad_request: 'The server could not accept that request',
  unauthorized: 'You are not signed in — reload the page to sign in again',
  forbidden: 'You are not allowed to do that',
  not_member: 'You are not in that room — join it first',
  too_large: 'That message is too long (max 4096 bytes)',
  rate_limited: 'You are sending too fast — wait a moment',
  unavailable: 'The chat service is unavailable right now — nothing was saved; try again in a moment',
  internal: 'Something went wrong on the server — try again',
};

/**
 * The sentence for a server's error code.
 * @param {string} code
 * @returns {string}
 */
export function errorSentence(code) {
  return ERROR_TEXT[code] || 'The server reported an error';
}

/**
 * The error bar (#error, #error-text, #error-detail, #error-close): one
 * error at a time, hidden again after showMs or on Dismiss.
 */
export class ErrorBar {
  /**
   * @param {object} opts
   * @param {number} opts.showMs
   * @param {() => void} [opts.onDismiss] after a press on Dismiss
   */
  constructor({ showMs, onDismiss = () => {} }) {
    this.bar = byId('error');
    this.text = byId('error-text');
    this.detail = byId('error-detail');
    this.showMs = showMs;
    this._timer = 0;
    byId('error-close').addEventListener('click', () => {
      this.hide();
      onDismiss();
    });
  }

  /**
   * Shows an error.
   * @param {string} code the server's error code, or '' for the page's own
   *   (the bar's data-code is then "client")
   * @param {string} sentence
   * @param {string} [detail] the server's words, shown in parentheses
   */
  show(code, sentence, detail = '') {
    clearTimeout(this._timer);
    this.bar.dataset.code = code || 'client';
    this.text.textContent = sentence;
    this.detail.textContent = detail ? `(${detail})` : '';
    this.bar.hidden = false;
    this._timer = setTimeout(() => this.hide(), this.showMs);
  }

  /** Hides the bar. */
  hide() {
    clearTimeout(this._timer);
    this.bar.hidden = true;
  }
}
