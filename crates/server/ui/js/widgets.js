// Small pieces shared by pages: toasts, side boxes, key/value tables.

import { el } from './dom.js';

export function notice(msg, kind = 'ok') {
  let box = document.getElementById('toasts');
  if (!box) {
    box = el('div', { id: 'toasts', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const t = el('div', { class: ['toast', kind] }, msg);
  box.append(t);
  setTimeout(() => t.remove(), kind === 'err' ? 6000 : 2500);
}

export function section(title, ...children) {
  return el('section', { class: 'side-box' }, el('h2', null, title), children);
}

export function kv(rows) {
  return el('table', { class: 'kv' }, rows.map(([k, v]) => el('tr', null, el('th', null, k), el('td', null, v))));
}
