// The query text as the UI edits it (top-level terms, field terms, date ranges) and the links of
// search pages.

import { link } from './nav.js';

export const PAGE_SIZES = [25, 50, 100, 200];

/** The top-level terms of a query, with their positions (quotes and parentheses respected). */
export function terms(q) {
  const out = [];
  let i = 0;
  while (i < q.length) {
    if (/\s/.test(q[i])) { i += 1; continue; }
    const start = i;
    let depth = 0;
    let quoted = false;
    while (i < q.length) {
      const c = q[i];
      if (c === '"') quoted = !quoted;
      else if (!quoted && c === '(') depth += 1;
      else if (!quoted && c === ')') depth = Math.max(0, depth - 1);
      else if (!quoted && depth === 0 && /\s/.test(c)) break;
      i += 1;
    }
    out.push({ text: q.slice(start, i), start, end: i });
  }
  return out;
}

export function quoteValue(v) {
  return /^[\p{L}\p{N}._@\-/+]+$/u.test(v) ? v : `"${v.replace(/"/g, '')}"`;
}

export function fieldTerm(field, value) {
  return `${field}:${quoteValue(value)}`;
}

export function hasTerm(q, term) {
  return terms(q).some((t) => t.text.toLowerCase() === term.toLowerCase());
}

export function removeTerms(q, pred) {
  let out = q;
  for (const t of terms(q).reverse()) if (pred(t.text)) out = out.slice(0, t.start) + out.slice(t.end);
  return out.replace(/\s+/g, ' ').trim();
}

export function toggleTerm(q, term) {
  if (hasTerm(q, term)) return removeTerms(q, (t) => t.toLowerCase() === term.toLowerCase());
  const base = q.trim() === '*' ? '' : q.trim();
  return `${base} ${term}`.trim();
}

export function setDate(q, range) {
  const base = removeTerms(q, (t) => /^date:/i.test(t));
  return `${base === '*' ? '' : base} ${range ? `date:${range}` : ''}`.trim();
}

export function searchParams(params) {
  const limit = Number(params.get('limit')) || Number(localStorage.getItem('trove.limit')) || 25;
  const q = params.get('q') || '';
  return {
    q,
    // Without words to rank by, the newest mail first.
    sort: params.get('sort') || defaultSort(q),
    offset: Math.max(0, Number(params.get('offset')) || 0),
    limit: PAGE_SIZES.includes(limit) ? limit : 25,
  };
}

export function defaultSort(q) {
  return q.trim() === '' || q.trim() === '*' ? 'newest' : 'relevance';
}

export function searchLink(p) {
  return link('search', {
    q: p.q,
    sort: p.sort !== defaultSort(p.q || '') ? p.sort : '',
    offset: p.offset || '',
    limit: p.limit !== 25 ? p.limit : '',
  });
}

/** The `date:` range of a query as [from, to] period strings, if it has a simple one. */
export function dateSelection(q) {
  for (const t of terms(q)) {
    const m = /^date:(\d{4}(?:-\d{2})?)(?:\.\.(\d{4}(?:-\d{2})?))?$/i.exec(t.text);
    if (m) return [m[1], m[2] || m[1]];
  }
  return null;
}
