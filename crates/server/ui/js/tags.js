// The tags page: the case's tags, most used first.

import { api, casePath } from './api.js';
import { el } from './dom.js';
import { fmtStamp, num, plural } from './format.js';
import { link } from './nav.js';
import { fieldTerm } from './query.js';
import { S } from './state.js';

export async function pageTags(_parts, _params, seq) {
  const tags = await api(casePath('tags'));
  if (seq !== S.seq) return null;
  const max = Math.max(1, ...tags.map((t) => t.count));
  return el('section', { class: 'case-tags' },
    el('h1', null, 'Tags'),
    el('p', { class: 'muted' }, tags.length
      ? `${plural(tags.length, 'tag')} in case ${S.case}, most used first. Click one for its messages.`
      : `No message of case ${S.case} is tagged yet. Reporters tag messages on the message page.`),
    tags.length ? el('section', { class: 'card' }, el('table', { class: 'grid tag-table', id: 'case-tags' },
      el('thead', null, el('tr', null, el('th', null, 'Tag'), el('th', null, 'Messages'), el('th', null, 'Last tagged (UTC)'))),
      el('tbody', null, tags.map((t) => {
        const bar = el('span', { class: 'meter' });
        bar.style.width = `${Math.round((t.count / max) * 100)}%`;
        return el('tr', { dataset: { tag: t.tag } },
          el('td', null, el('a', { class: 'tag-link', href: link('search', { q: fieldTerm('tag', t.tag), sort: 'newest' }) }, t.tag)),
          el('td', { class: 'num meter-cell' }, bar, el('span', { class: 'tag-count' }, num(t.count))),
          el('td', { class: 'small nowrap' }, fmtStamp(t.last_at)));
      })))) : null);
}
