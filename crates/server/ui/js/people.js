// The person page: an address's names, numbers, mail per month and top correspondents.

import { api, casePath } from './api.js';
import { axis, monthsBetween } from './chart.js';
import { add, el, enc } from './dom.js';
import { fmtDate, num, plural } from './format.js';
import { go, link } from './nav.js';
import { quoteValue, searchLink } from './query.js';
import { S } from './state.js';

function barChart(buckets, onClick, label) {
  const W = 1000;
  const H = 110;
  const months = buckets.filter((b) => /^\d{4}-\d{2}$/.test(b.value));
  const bars = months.length ? (() => {
    const counts = new Map(months.map((b) => [b.value, b.count]));
    return monthsBetween(months[0].value, months[months.length - 1].value).map((v) => ({ value: v, count: counts.get(v) || 0 }));
  })() : [];
  const svg = el('svg:svg', { viewBox: `0 0 ${W} ${H + 16}`, preserveAspectRatio: 'none', class: 'histo', role: 'img', 'aria-label': label });
  if (!bars.length) return el('p', { class: 'muted' }, 'No dated mail.');
  const max = Math.max(...bars.map((b) => b.count), 1);
  const bw = W / bars.length;
  bars.forEach((b, i) => {
    const h = b.count ? Math.max(2, (b.count / max) * (H - 4)) : 0;
    const r = el('svg:rect', { x: (i * bw + bw * 0.1).toFixed(2), y: (H - h).toFixed(2), width: Math.max(0.5, bw * 0.8).toFixed(2), height: h.toFixed(2), class: 'bar', dataset: { period: b.value } },
      el('svg:title', null, `${b.value}: ${plural(b.count, 'message')}`));
    if (onClick && b.count) r.addEventListener('click', () => onClick(b.value));
    add(svg, r);
  });
  add(svg, axis(bars, bw, H + 13));
  return svg;
}

export async function pagePerson(parts, _params, seq) {
  const addr = parts[0] || '';
  const p = await api(casePath('people', addr));
  if (seq !== S.seq) return null;
  const q = `participant:${quoteValue(p.address)}`;
  const maxC = Math.max(1, ...(p.correspondents || []).map((c) => c.count));
  return el('section', { class: 'person' },
    el('div', { class: 'toolbar' },
      S.last ? el('a', { class: 'btn', href: searchLink(S.last.params) }, '← Results') : null,
      el('a', { class: 'btn', id: 'person-all', href: link('search', { q, sort: 'newest' }) }, 'All their mail'),
      el('a', { class: 'btn', href: link('search', { q: `from:${quoteValue(p.address)}`, sort: 'newest' }) }, 'Sent'),
      el('a', { class: 'btn', href: link('search', { q: `to:${quoteValue(p.address)}`, sort: 'newest' }) }, 'Received'),
      el('a', { class: 'btn', id: 'person-graph', href: link('graph', { q }) }, 'Their network')),
    el('h1', { id: 'person-address' }, p.address),
    (p.names || []).length ? el('p', { class: 'names', id: 'person-names' }, 'Known as: ', p.names.slice(0, 8).map((n, i) => [i ? ' · ' : '',
      el('span', { class: 'person-name', dataset: { count: String(n.count) }, title: `This name is on ${plural(n.count, 'message')} with this address` },
        el('strong', null, n.value), ' ', el('span', { class: 'name-count muted' }, `(${num(n.count)})`))]),
    p.names.length > 8 ? el('span', { class: 'muted' }, ` and ${plural(p.names.length - 8, 'other name')}`) : null) : null,
    el('div', { class: 'stats' },
      stat('Messages', num(p.messages)), stat('Sent', num(p.sent)), stat('Received', num(p.received)),
      stat('First', fmtDate(p.first, false)), stat('Last', fmtDate(p.last, false))),
    el('section', { class: 'card' }, el('h2', null, 'Mail per month'),
      barChart(p.months || [], (month) => go(link('search', { q: `${q} date:${month}`, sort: 'oldest' })), 'Messages per month')),
    el('section', { class: 'card' }, el('h2', null, 'Top correspondents'),
      el('table', { class: 'grid correspondents', id: 'correspondents' },
        el('thead', null, el('tr', null, el('th', null, 'Address'), el('th', null, 'Messages'), el('th', null, ''))),
        el('tbody', null, (p.correspondents || []).map((c) => {
          const bar = el('span', { class: 'meter' });
          bar.style.width = `${Math.round((c.count / maxC) * 100)}%`;
          return el('tr', null,
            el('td', null, el('a', { href: link(`person/${enc(c.value)}`) }, c.value)),
            el('td', { class: 'num meter-cell' }, bar, el('span', null, num(c.count))),
            el('td', null, el('a', { href: link('search', { q: `${q} participant:${quoteValue(c.value)}`, sort: 'oldest' }) }, 'mail between')));
        })))));
}

function stat(label, value) {
  return el('div', { class: 'stat' }, el('div', { class: 'stat-v' }, value), el('div', { class: 'stat-l' }, label));
}
