// The search page: query bar, facets, results, export, page size, pager; j/k selection.

import { api, casePath, qs } from './api.js';
import { add, el, enc } from './dom.js';
import { fmtDate, num, plural } from './format.js';
import { fillHelp } from './help.js';
import { byteIndex, marked } from './highlight.js';
import { renderHistogram } from './histogram.js';
import { go, link } from './nav.js';
import { defaultSort, fieldTerm, hasTerm, PAGE_SIZES, removeTerms, searchLink, searchParams, terms, toggleTerm } from './query.js';
import { canWrite, S } from './state.js';

/** Facets of the search response: key, title, the query field a click adds. */
const FACETS = [
  ['source', 'Source', 'source'],
  ['sender_domain', 'Sender domain', 'from'],
  ['sender', 'Sender', 'from'],
  ['recipient', 'Recipient', 'to'],
  ['year', 'Year', 'date'],
  ['has', 'Has', 'has'],
  ['mime', 'Attachment type', 'mime'],
  ['flag', 'Risk flags', 'flag'],
  ['lang', 'Language', 'lang'],
  ['kind', 'Kind', 'kind'],
];

export async function pageSearch(_parts, params, seq) {
  const p = searchParams(params);
  const root = el('section', { class: 'search' });
  const input = el('input', {
    id: 'q', name: 'q', type: 'search', value: p.q, autocomplete: 'off', spellcheck: 'false',
    placeholder: 'contrato from:sedena.gob.mx date:2019-01..2019-06 has:attachment', 'aria-label': 'Query',
  });
  const sort = el('select', { id: 'sort', 'aria-label': 'Sort' },
    [['relevance', 'Relevance'], ['newest', 'Newest first'], ['oldest', 'Oldest first']].map(([v, t]) => el('option', { value: v, selected: v === p.sort }, t)));
  const helpBox = el('div', { class: 'help', id: 'help', hidden: true });
  const submit = (keepSort) => {
    const q = input.value.trim();
    // A sort the user chose stays; the default follows the query (newest first without words).
    const chosen = keepSort === true || sort.value !== defaultSort(p.q);
    go(searchLink({ ...p, q, sort: chosen ? sort.value : defaultSort(q), offset: 0 }));
  };
  sort.addEventListener('change', () => submit(true));
  const form = el('form', { class: 'querybar', role: 'search', onsubmit: (ev) => { ev.preventDefault(); submit(); } },
    input, sort,
    el('button', { type: 'submit', class: 'primary', id: 'go' }, 'Search'),
    el('button', {
      type: 'button', id: 'help-toggle', title: 'Query language', 'aria-expanded': 'false',
      onclick: async (ev) => {
        helpBox.hidden = !helpBox.hidden;
        ev.currentTarget.setAttribute('aria-expanded', String(!helpBox.hidden));
        if (!helpBox.hidden && !helpBox.firstChild) await fillHelp(helpBox, input);
      },
    }, 'Syntax ?'));
  const status = el('div', { class: 'qstatus' });
  add(root, form, status, helpBox);

  let resp;
  try {
    resp = await api(casePath('search') + qs({ q: p.q, sort: p.sort, offset: p.offset, limit: p.limit, facets: 'true' }));
  } catch (e) {
    if ((e.status === 400 || e.status === 422) && e.body && e.body.start !== undefined) {
      add(status, queryError(p.q, e.body));
      return root;
    }
    throw e;
  }
  if (seq !== S.seq) return null;
  S.last = { params: p, resp };
  S.cursor = -1;

  const body = el('div', { class: 'search-body' });
  const facets = el('aside', { class: 'facets', 'aria-label': 'Filters' }, renderFacets(p, resp.facets));
  const col = el('div', { class: 'results-col' });
  add(col,
    renderHistogram(p, resp.facets),
    el('div', { class: 'resultbar' },
      el('span', { class: 'total', id: 'total', dataset: { total: String(resp.total) } }, plural(resp.total, 'result')),
      el('span', { class: 'took muted' }, `${resp.took_ms.toFixed(1)} ms`),
      activeFilters(p),
      el('span', { class: 'spacer' }),
      canWrite() && exportMenu(p),
      pageSizeSelect(p)),
    resp.hits.length
      ? el('ol', { class: 'results', id: 'results', start: String(p.offset + 1) }, resp.hits.map((h, i) => renderHit(h, i)))
      : el('div', { class: 'empty' }, p.q ? 'Nothing matches this query.' : 'The case is empty.'),
    pager(p, resp));
  add(body, facets, col);
  add(root, body);
  if (S.selectOnRender) {
    // Arrived here by j/k off the edge of the previous page: once this page is shown.
    const which = S.selectOnRender;
    S.selectOnRender = null;
    setTimeout(() => selectHit(which === 'first' ? 0 : Infinity), 0);
  }
  return root;
}

function queryError(q, err) {
  const at = byteIndex(q);
  const s = at(err.start) ?? q.length;
  const e = Math.max(s + 1, at(err.end) ?? q.length);
  return el('div', { class: 'qerror', role: 'alert' },
    el('strong', null, err.too_costly ? 'Query too costly: ' : 'Invalid query: '), err.error, err.column !== undefined ? ` (at column ${err.column + 1})` : '',
    el('pre', null, q.slice(0, s), el('mark', { class: 'err' }, q.slice(s, e) || ' '), q.slice(e)));
}

function renderFacets(p, f) {
  if (!f) return [];
  const out = [];
  for (const [key, title, field] of FACETS) {
    const buckets = (f[key] || []).filter((b) => b.value !== 'other');
    if (!buckets.length) continue;
    const list = el('ul', null, buckets.slice(0, 12).map((b) => {
      const term = fieldTerm(field, b.value);
      const on = hasTerm(p.q, term);
      return el('li', null, el('a', {
        href: searchLink({ ...p, q: toggleTerm(p.q, term), offset: 0 }),
        class: ['facet', on && 'on'], title: on ? `Remove ${term}` : `Add ${term}`, dataset: { term },
      }, el('span', { class: 'fv' }, b.value), el('span', { class: 'fc' }, num(b.count))));
    }));
    out.push(el('section', { class: 'facet-group', dataset: { facet: key } }, el('h3', null, title), list));
  }
  return out;
}

function activeFilters(p) {
  const chips = terms(p.q).filter((t) => /^-?[a-z_]+:/i.test(t.text));
  if (!chips.length) return null;
  return el('span', { class: 'chips' }, chips.map((t) => el('a', {
    class: 'chip', title: 'Remove this filter',
    href: searchLink({ ...p, q: removeTerms(p.q, (x) => x === t.text), offset: 0 }),
  }, t.text, el('span', { class: 'x', 'aria-hidden': 'true' }, '×'))));
}

function exportMenu(p) {
  const formats = [['jsonl', 'JSONL'], ['csv', 'CSV'], ['mbox', 'mbox'], ['zip', 'EML zip']];
  return el('span', { class: 'export' }, el('span', { class: 'muted' }, 'Export all:'),
    formats.map(([f, t]) => el('a', {
      href: casePath('export') + qs({ q: p.q, format: f }), download: '', class: 'btn small', dataset: { export: f },
      title: `Every result of this query as ${t}`,
    }, t)));
}

function pageSizeSelect(p) {
  return el('select', {
    class: 'small', 'aria-label': 'Results per page',
    onchange: (ev) => {
      localStorage.setItem('trove.limit', ev.target.value);
      go(searchLink({ ...p, limit: Number(ev.target.value), offset: 0 }));
    },
  }, PAGE_SIZES.map((n) => el('option', { value: String(n), selected: n === p.limit }, `${n} / page`)));
}

function pager(p, resp) {
  const last = Math.max(0, Math.floor((resp.total - 1) / p.limit) * p.limit);
  const from = resp.total ? p.offset + 1 : 0;
  const to = Math.min(resp.total, p.offset + resp.hits.length);
  const btn = (label, offset, id, enabled) => (enabled
    ? el('a', { class: 'btn', id, href: searchLink({ ...p, offset }) }, label)
    : el('span', { class: 'btn disabled', id }, label));
  return el('nav', { class: 'pager', 'aria-label': 'Pages' },
    btn('« First', 0, 'first-page', p.offset > 0),
    btn('‹ Previous', Math.max(0, p.offset - p.limit), 'prev-page', p.offset > 0),
    el('span', { class: 'range', id: 'range' }, `${num(from)}–${num(to)} of ${num(resp.total)}`),
    btn('Next ›', p.offset + p.limit, 'next-page', p.offset + p.limit < resp.total),
    btn('Last »', last, 'last-page', p.offset + p.limit < resp.total));
}

function renderHit(h, i) {
  const open = h.item !== null && h.item !== undefined ? link(`item/${h.item}`) : null;
  const to = h.to || [];
  return el('li', { class: ['hit', h.kind], dataset: { item: String(h.item ?? ''), index: String(i) } },
    el('div', { class: 'hit-meta' },
      el('span', { class: 'date' }, fmtDate(h.date)),
      h.from
        ? el('a', { class: 'from', href: link(`person/${enc(h.from)}`), title: h.from }, h.from_name || h.from)
        : el('span', { class: 'from muted' }, h.kind === 'document' ? 'document' : '(no sender)'),
      to.length ? el('span', { class: 'to muted' }, '→ ', to.slice(0, 3).join(', '), to.length > 3 ? ` +${to.length - 3}` : '') : null,
      el('span', { class: 'spacer' }),
      h.attachments ? el('span', { class: 'badge att', title: 'Attachments' }, plural(h.attachments, 'attachment')) : null,
      h.copies > 1 ? el('span', { class: 'badge', title: (h.folders || []).join('\n') }, `${h.copies} copies`) : null,
      (h.sources || []).map((s) => el('span', { class: 'badge src' }, s))),
    el('a', { class: 'subject', href: open || '#' }, h.subject || '(no subject)'),
    h.snippet && h.snippet.text ? el('p', { class: 'snippet' }, marked(h.snippet.text, h.snippet.highlights)) : null,
    (h.in_attachments || []).length
      ? el('ul', { class: 'in-att' }, h.in_attachments.map((a) => el('li', null,
        el('span', { class: 'att-name' }, 'in attachment ', el('strong', null, a.name || a.key.slice(0, 12))),
        (a.flags || []).filter(Boolean).map((f) => el('span', { class: 'badge risk' }, f)),
        a.snippet && a.snippet.text ? el('span', { class: 'snippet' }, ' — ', marked(a.snippet.text, a.snippet.highlights)) : null)))
      : null,
    h.folders && h.folders.length ? el('div', { class: 'folders muted' }, h.folders.slice(0, 4).join(' · ')) : null);
}

export function selectHit(i) {
  const items = [...document.querySelectorAll('#results > li.hit')];
  if (!items.length) return;
  S.cursor = Math.max(0, Math.min(items.length - 1, i));
  items.forEach((li, j) => li.classList.toggle('selected', j === S.cursor));
  items[S.cursor].scrollIntoView({ block: 'nearest' });
}
