// DOM helpers of both pages. Data goes into the page through textContent
// and attributes only, never as markup.

import { when } from './util.js';

/**
 * The element with the id; throws when the page lacks it.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el;
}

/**
 * The elements of the ids, by the names given: elements({form: 'join-form'}).
 * @template {Record<string, string>} T
 * @param {T} ids
 * @returns {{[K in keyof T]: HTMLElement}}
 */
export function elements(ids) {
  const out = {};
  for (const [name, id] of Object.entries(ids)) out[name] = byId(id);
  return out;
}

/**
 * A new element with a class and a text.
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text] set as textContent
 * @returns {HTMLElement}
 */
export function make(tag, className = '', text = undefined) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * Sets the text of node, touching the DOM only when it changes.
 * @param {Node} node
 * @param {*} text
 */
export function setText(node, text) {
  const s = String(text);
  if (node.textContent !== s) node.textContent = s;
}

/**
 * Shows message in node, or hides node when message is empty.
 * @param {HTMLElement} node
 * @param {string} message
 */
export function showText(node, message) {
  if (message) {
    setText(node, message);
    node.hidden = false;
  } else {
    node.hidden = true;
  }
}

/**
 * Shows an RFC 3339 stamp in node as local time and how long ago (see
 * util.when), with the stamp as its title.
 * @param {HTMLElement} node
 * @param {string} ts
 */
export function setWhen(node, ts) {
  const w = when(ts);
  setText(node, w.text);
  if (node.title !== w.title) node.title = w.title;
}

/**
 * Updates the children of parent in place, keyed by data-key, so that a
 * focused control keeps its focus across refreshes: create(item) makes a new
 * child, update(child, item) refreshes one; children of keys no longer there
 * are removed, and the order follows items.
 * @template T
 * @param {HTMLElement} parent
 * @param {T[]} items
 * @param {(item: T) => string} key
 * @param {(item: T) => HTMLElement} create
 * @param {(child: HTMLElement, item: T) => void} update
 */
export function reconcile(parent, items, key, create, update) {
  const existing = new Map();
  for (const child of parent.children) existing.set(child.dataset.key, child);
  let prev = null;
  for (const item of items) {
    const k = key(item);
    let child = existing.get(k);
    if (child) existing.delete(k);
    else {
      child = create(item);
      child.dataset.key = k;
    }
    update(child, item);
    const want = prev ? prev.nextSibling : parent.firstChild;
    if (want !== child) parent.insertBefore(child, want);
    prev = child;
  }
  for (const child of existing.values()) child.remove();
}

/**
 * Appends a new table cell to tr.
 * @param {HTMLTableRowElement} tr
 * @param {string} [className]
 * @returns {HTMLTableCellElement}
 */
export function cell(tr, className) {
  const td = document.createElement('td');
  if (className) td.className = className;
  tr.append(td);
  return td;
}
