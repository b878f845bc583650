// The thread page: the messages of a thread as a tree.

import { api, casePath, qs } from './api.js';
import { el } from './dom.js';
import { fmtDate, plural } from './format.js';
import { link } from './nav.js';
import { searchLink } from './query.js';
import { canWrite, S } from './state.js';

export async function pageThread(parts, params, seq) {
  const id = parts[0] || '';
  const t = await api(casePath('threads', id));
  if (seq !== S.seq) return null;
  const current = params.get('item');
  const msgs = t.messages || [];
  const first = msgs[0] || {};
  const people = new Set(msgs.map((x) => x.from).filter(Boolean));
  return el('section', { class: 'thread' },
    el('div', { class: 'toolbar' },
      S.last ? el('a', { class: 'btn', href: searchLink(S.last.params) }, '← Results') : null,
      current ? el('a', { class: 'btn', href: link(`item/${current}`) }, '← Message') : null,
      el('a', { class: 'btn', href: link('search', { q: `thread:${id}`, sort: 'oldest' }) }, 'As search results'),
      canWrite() ? el('a', { class: 'btn', href: casePath('export') + qs({ q: `thread:${id}`, format: 'mbox' }), download: '' }, 'Export mbox') : null),
    el('h1', null, first.subject || '(no subject)'),
    el('p', { class: 'muted' }, `${plural(msgs.length, 'message')} · ${plural(people.size, 'sender')} · ${fmtDate(first.date)} – ${fmtDate(msgs.length ? Math.max(...msgs.map((x) => x.date || 0)) : null)}`),
    el('ol', { class: 'tree', id: 'thread-tree' }, msgs.map((n) => {
      const row = el('li', {
        class: ['node', String(n.item) === current && 'current'], dataset: { item: String(n.item), depth: String(n.depth) },
      },
      el('a', { href: link(`item/${n.item}`), class: 'node-link' },
        el('span', { class: 'date' }, fmtDate(n.date)),
        el('span', { class: 'from' }, n.from_name || n.from || '?'),
        el('span', { class: 'subject' }, n.subject || '(no subject)'),
        n.copies > 1 ? el('span', { class: 'badge' }, `${n.copies} copies`) : null));
      row.style.marginLeft = `${Math.min(n.depth, 20) * 22}px`;
      return row;
    })));
}
