// Small DOM helpers. Text always goes in as text (never as HTML): messages, URLs and answers come
// from outside and may hold anything.
import { base } from './api.js';

/** h('a', {href, onclick, class, dataset: {...}}, ...children) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value') el.value = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces `target`'s children (null, false and undefined left out, as in h()). */
export function fill(target, ...children) {
  target.replaceChildren(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false));
  return target;
}

/** Shows an error in place of `target`'s content (the next update() draws again). */
export function showError(target, message, title) {
  delete target.dataset.shown;
  return fill(target, title ? h('h1', {}, title) : null, h('p', { class: 'error' }, message));
}

/** A link inside the inspector (followed without reloading the page). */
export function link(path, ...children) {
  return h('a', { href: base + path, 'data-nav': '' }, ...children);
}

export function badge(text, extra = '') {
  return h('span', { class: `badge ${String(text || '').toLowerCase()} ${extra}`.trim() }, text ?? '');
}

export function shorten(text, length = 80) {
  const value = String(text ?? '');
  return value.length > length ? value.slice(0, length - 1) + '…' : value;
}

/** A sandbox time ("2024-05-01 12:00:03.120000+00:00" or epoch seconds) as "2024-05-01 12:00:03". */
export function when(value) {
  if (value === undefined || value === null || value === '') return '';
  if (typeof value === 'number') return new Date(value * 1000).toISOString().replace('T', ' ').slice(0, 19);
  return String(value).replace('T', ' ').slice(0, 19);
}

/** The time of day, with milliseconds, of epoch seconds. */
export function clockTime(epoch) {
  return new Date(epoch * 1000).toISOString().slice(11, 23);
}

/** A definition list of [label, value] pairs (empty values left out). */
export function fields(pairs) {
  const dl = h('dl', { class: 'fields' });
  for (const [label, value] of pairs) {
    if (value === undefined || value === null || value === '') continue;
    dl.append(h('dt', {}, label), h('dd', {}, value));
  }
  return dl;
}

/**
 * A list table: columns are [label, row => cell content]; `href(row)` makes rows links.
 * On narrow screens it becomes cards (each cell shows its label).
 */
export function table(columns, rows, { empty = 'Nothing yet.', href, key } = {}) {
  if (!rows.length) return h('p', { class: 'muted empty' }, empty);
  const head = h('thead', {}, h('tr', {}, columns.map(([label]) => h('th', {}, label))));
  const body = h('tbody');
  for (const row of rows) {
    const target = href ? href(row) : null;
    const tr = h('tr', { class: target ? 'row-link' : null, dataset: key ? { key: key(row) } : undefined });
    if (target) {
      tr.addEventListener('click', (event) => {
        if (event.target.closest('a, button, input, select, audio')) return;
        window.dispatchEvent(new CustomEvent('inspector:navigate', { detail: target }));
      });
    }
    for (const [label, cell] of columns) tr.append(h('td', { 'data-label': label }, cell(row)));
    body.append(tr);
  }
  return h('table', { class: 'list' }, head, body);
}

/** Key = value lines of an object (request parameters, headers). */
export function keyValues(object) {
  const entries = Object.entries(object || {});
  if (!entries.length) return h('span', { class: 'muted' }, 'none');
  return h('div', { class: 'kv mono' }, entries.map(([k, v]) => h('div', {}, h('b', {}, k), String(v))));
}

/** A paragraph for an action's outcome: `set(message, ok)` fills it. */
export function outcome() {
  const el = h('p', { class: 'done', role: 'status' });
  el.set = (message, ok = true) => {
    el.className = ok ? 'done' : 'error';
    el.textContent = message;
  };
  return el;
}

/** Runs `work` for a button: disabled meanwhile, the error (or `done`) shown in `out`. */
export async function act(button, out, work, done) {
  button.disabled = true;
  try {
    const result = await work();
    if (out) out.set(typeof done === 'function' ? done(result) : done || 'Done.', true);
    return result;
  } catch (err) {
    if (out) out.set(err.message, false);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

/** Calls `fn` at most once per `ms` (the last call wins). */
export function debounce(fn, ms = 120) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/**
 * Replaces `target`'s content with `render()`'s, unless `data` is what it showed last (polling
 * must not flicker), keeping open the <details> that were open (matched by data-key).
 */
export function update(target, data, render) {
  const json = JSON.stringify(data);
  if (target.dataset.shown === json) return;
  const open = new Set([...target.querySelectorAll('details[open][data-key]')].map((d) => d.dataset.key));
  target.replaceChildren(...[render()].flat());
  for (const d of target.querySelectorAll('details[data-key]')) if (open.has(d.dataset.key)) d.open = true;
  target.dataset.shown = json;
}
