// What a mail's HTML would have loaded from elsewhere (none of it fetched), as a banner over the body.

import { el } from './dom.js';
import { num, plural } from './format.js';

/** Character references in an attribute value as the browser would read them (text in, text out). */
function decodeEntities(s) {
  const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return String(s).replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/gi, (all, e) => {
    if (e[0] !== '#') return named[e.toLowerCase()];
    const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : all;
  });
}

/**
 * Everything remote the mail's HTML would have loaded ({kind, url}; the server lists them as
 * written in the HTML, so `&amp;` is read as `&` here), none of it fetched, plus any image the
 * sanitiser replaced that the list lacks (`//host/…`, encoded schemes). Grouped by kind, in
 * order of appearance, each address once with how often it occurs.
 */
function remoteLoads(m) {
  const groups = new Map();
  const put = (kind, url) => {
    if (!groups.has(kind)) groups.set(kind, new Map());
    const g = groups.get(kind);
    g.set(url, (g.get(url) || 0) + 1);
  };
  const known = new Set();
  for (const r of m.remote || []) {
    if (!r || !r.url) continue;
    const url = decodeEntities(r.url);
    known.add(url);
    put(r.kind || 'other', url);
  }
  for (const u of m.remote_images || []) if (!known.has(String(u))) put('img src', String(u));
  return groups;
}

function hostOf(url) {
  try { return new URL(url.startsWith('//') ? `http:${url}` : url).host || null; } catch { return null; }
}

/** The banner over a mail body that would have loaded remote content: what, from where. */
export function remoteBanner(m) {
  const groups = remoteLoads(m);
  if (!groups.size) return null;
  const total = [...groups.values()].reduce((n, g) => n + [...g.values()].reduce((a, b) => a + b, 0), 0);
  const hosts = new Map();
  for (const g of groups.values()) for (const [u, n] of g) { const h = hostOf(u); if (h) hosts.set(h, (hosts.get(h) || 0) + n); }
  const images = (m.remote_images || []).length;
  return el('div', { class: 'banner warn', id: 'remote-banner', role: 'note', dataset: { total: String(total) } },
    el('strong', { id: 'remote-total' }, `${plural(total, 'remote load')} blocked`),
    images ? ` (${plural(images, 'image')} shown as placeholders)` : '', '. ',
    'trove never loads remote content: each of these requests would have told the sender that, when and from where this mail was read.',
    el('div', { class: 'remote-kinds', id: 'remote-kinds' }, [...groups].map(([kind, g]) => el('span', { class: 'badge', dataset: { kind } },
      el('span', { class: 'mono' }, kind), ` ${num([...g.values()].reduce((a, b) => a + b, 0))}`))),
    hosts.size ? el('div', { class: 'small remote-hosts' }, hosts.size === 1 ? 'From host ' : `From ${num(hosts.size)} hosts: `,
      [...hosts].sort((a, b) => b[1] - a[1]).map(([h, n], i) => [i ? ', ' : '', el('span', { class: 'mono' }, h), n > 1 ? ` (${num(n)})` : ''])) : null,
    el('details', { id: 'remote-list' }, el('summary', null, 'The addresses, by kind'),
      [...groups].map(([kind, g]) => el('section', { class: 'remote-group', dataset: { kind } },
        el('h4', null, el('span', { class: 'mono' }, kind), ` (${num([...g.values()].reduce((a, b) => a + b, 0))})`),
        el('ul', { class: 'plain mono' }, [...g].map(([u, n]) => el('li', null, el('span', { class: 'url' }, u), n > 1 ? el('span', { class: 'muted' }, ` ×${n}`) : null)))))));
}
