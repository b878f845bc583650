// trove — the browser UI of `trove serve`.
//
// A client of the JSON API under /api and nothing more. Rules that keep mail data inert:
// every node is built with el() (text only ever goes through text nodes / textContent, never
// innerHTML), every link the UI makes points at its own origin (safeUrl), mail HTML is only ever
// shown inside a sandboxed iframe without scripts, served by the API with its own strict CSP.
//
// Sections: core (DOM, API, state, router) · layout (header) · login · search (facets,
// histogram, results, export, help) · message (headers, bodies, remote loads, attachments,
// tags, notes, provenance, copies, loose documents) · thread · person · graph · tags · notes ·
// admin (users, grants, audit) · keyboard · boot.

// ── core: DOM ───────────────────────────────────────────────────────────────────────────────

const SVGNS = 'http://www.w3.org/2000/svg';

/** Only URLs of trove's own origin: `#…`, `/…` (not `//…`), `?…`. Anything else becomes `#`. */
function safeUrl(u) {
  const s = String(u);
  return /^(#|\/(?![/\\])|\?)/.test(s) ? s : '#';
}

/**
 * The one DOM helper. `tag` may be `svg:rect` for SVG. Attributes: `class` (string or list),
 * `on<event>` (function), `style` (object, set through CSSOM), `dataset` (object), `href`/`src`
 * (own origin only), booleans (`checked`, `disabled`, `selected`, `hidden`), `value`; the rest
 * are set with setAttribute. Children: nodes, strings (as text nodes), arrays, null/false (skipped).
 */
function el(tag, attrs, ...children) {
  const isSvg = tag.startsWith('svg:');
  const node = isSvg ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'style') Object.assign(node.style, v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'href' || k === 'src') node.setAttribute(k, safeUrl(v));
    else if (k === 'value' && !isSvg) node.value = v;
    else if (['checked', 'disabled', 'selected', 'hidden', 'multiple', 'required', 'autofocus'].includes(k)) node[k] = !!v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  add(node, children);
  return node;
}

function add(node, ...children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function clear(node, ...children) {
  node.replaceChildren();
  return add(node, children);
}

const enc = encodeURIComponent;

// ── core: formatting ────────────────────────────────────────────────────────────────────────

const NUM = new Intl.NumberFormat('en-US');
const num = (n) => NUM.format(n ?? 0);

/** A unix time as `YYYY-MM-DD HH:MM` (UTC: evidence is compared across time zones). */
function fmtDate(t, withTime = true) {
  if (t === null || t === undefined) return '—';
  const d = new Date(t * 1000);
  if (Number.isNaN(d.getTime())) return '—';
  const s = d.toISOString();
  return withTime ? `${s.slice(0, 10)} ${s.slice(11, 16)}` : s.slice(0, 10);
}

function fmtStamp(s) {
  return s ? String(s).replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}

function fmtSize(n) {
  if (n === null || n === undefined) return '—';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i += 1; }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${u[i]}`;
}

function plural(n, one, many) {
  return `${num(n)} ${n === 1 ? one : many || `${one}s`}`;
}

/** Maps UTF-8 byte offsets of `text` to JS string indices (undefined inside a character). */
function byteIndex(text) {
  const map = new Map();
  let b = 0;
  let i = 0;
  for (const ch of text) {
    map.set(b, i);
    const cp = ch.codePointAt(0);
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += ch.length;
  }
  map.set(b, i);
  return (off) => map.get(off);
}

/** Text with byte ranges marked: text nodes and <mark> elements, never markup from data. */
function marked(text, ranges, cls) {
  const out = [];
  if (!text) return out;
  const at = byteIndex(text);
  let pos = 0;
  for (const [s, e] of [...(ranges || [])].sort((a, b) => a[0] - b[0])) {
    const si = at(s);
    const ei = at(e);
    if (si === undefined || ei === undefined || si < pos || ei <= si) continue;
    out.push(text.slice(pos, si), el('mark', { class: cls }, text.slice(si, ei)));
    pos = ei;
  }
  out.push(text.slice(pos));
  return out;
}

/**
 * Mailboxes as the server parsed them ([{name, address}]): the display name as text, the
 * address as a link to its person page. A name that looks like an address stays text: only the
 * real address is linked. Long lists show their first `max` and a button for the rest.
 */
function mailboxes(list, max = 25) {
  const one = (a) => el('span', { class: 'mbox' },
    a.name ? el('span', { class: 'mbox-name' }, a.name) : null,
    a.address
      ? [a.name ? ' <' : '', el('a', { href: link(`person/${enc(a.address)}`), class: 'addr', title: `${a.address}: their mail and correspondents` }, a.address), a.name ? '>' : '']
      : el('span', { class: 'muted' }, a.name ? ' (no address)' : '(no address)'));
  const join = (xs) => xs.map((a, i) => [i ? ', ' : '', one(a)]);
  if (list.length <= max) return join(list);
  const rest = el('span', null, ', ', el('button', {
    type: 'button', class: 'linkish more-addresses',
    onclick: () => rest.replaceWith(el('span', null, ', ', join(list.slice(max)))),
  }, `+${num(list.length - max)} more`));
  return [join(list.slice(0, max)), rest];
}

// ── core: API ───────────────────────────────────────────────────────────────────────────────

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function api(path, opts = {}) {
  const init = { method: opts.method || 'GET', headers: { accept: 'application/json' }, credentials: 'same-origin' };
  if (init.method !== 'GET') init.headers['x-csrf-token'] = (S.session && S.session.csrf) || '';
  if (opts.body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  let r;
  try {
    r = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { error: `the server cannot be reached (${e.message})` });
  }
  const ct = r.headers.get('content-type') || '';
  let data = null;
  try {
    data = ct.includes('json') ? await r.json() : await r.text();
  } catch {
    data = null;
  }
  if (r.status === 401 && !opts.quiet) {
    S.session = null;
    renderLogin('Your session has ended. Log in again.');
  }
  if (!r.ok) throw new ApiError(r.status, data && typeof data === 'object' ? data : { error: data || r.statusText });
  return data;
}

/** `/api/cases/{case}/…` with every segment encoded. */
function casePath(...segments) {
  return `/api/cases/${enc(S.case)}/${segments.map((s) => enc(String(s))).join('/')}`;
}

function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

// ── core: state and router ──────────────────────────────────────────────────────────────────

const S = {
  session: null, // {user, role, csrf, cases}
  case: null,
  last: null, // the last search: {params, resp}
  help: null, // the query language, as markdown
  seq: 0, // render generation: stale answers are dropped
  cursor: -1, // selected result (j/k)
  selectOnRender: null, // 'first' or 'last': j/k turned the page
};

const canWrite = () => S.session && (S.session.role === 'admin' || S.session.role === 'reporter');
const isAdmin = () => S.session && S.session.role === 'admin';

/** A UI route (`#/path?…`) carrying the current case. */
function link(path, params = {}) {
  return `#/${path}${qs({ ...params, case: params.case || S.case })}`;
}

function parseHash() {
  const h = location.hash.replace(/^#\/?/, '');
  const i = h.indexOf('?');
  const path = i < 0 ? h : h.slice(0, i);
  const params = new URLSearchParams(i < 0 ? '' : h.slice(i + 1));
  const parts = path.split('/').filter((p) => p !== '').map((p) => {
    try { return decodeURIComponent(p); } catch { return p; }
  });
  return { parts, params };
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

const ROUTES = {
  search: pageSearch,
  item: pageMessage,
  thread: pageThread,
  person: pagePerson,
  graph: pageGraph,
  tags: pageTags,
  notes: pageNotes,
  admin: pageAdmin,
};

async function route() {
  if (!S.session) return;
  const hash = location.hash;
  const { parts, params } = parseHash();
  const name = parts[0] || 'search';
  const wanted = params.get('case');
  if (wanted) S.case = wanted;
  if (!S.case) S.case = pickCase();
  if (S.case) localStorage.setItem('trove.case', S.case);
  renderHeader(name);
  const main = document.getElementById('main');
  const seq = ++S.seq;
  const page = ROUTES[name];
  if (!page) {
    clear(main, errorBox(new ApiError(404, { error: `no page ${name}` })));
    return;
  }
  if (!S.case && name !== 'admin') {
    clear(main, el('div', { class: 'empty' }, el('h2', null, 'No case'), el('p', null, 'No case is open to this account. An administrator grants cases.')));
    return;
  }
  main.setAttribute('aria-busy', 'true');
  try {
    const node = await page(parts.slice(1), params, seq);
    if (seq !== S.seq) return;
    if (node) clear(main, node);
    window.scrollTo(0, 0);
    document.title = `${titleOf(name, parts)} · trove`;
  } catch (e) {
    if (seq !== S.seq || (e instanceof ApiError && e.status === 401)) return;
    clear(main, errorBox(e));
  } finally {
    if (seq === S.seq) {
      main.removeAttribute('aria-busy');
      main.dataset.rendered = hash; // what is on screen (tests wait for it)
    }
  }
}

function titleOf(name, parts) {
  return { search: 'Search', item: `Message ${parts[1] || ''}`, thread: 'Thread', person: parts[1] || 'Person', graph: 'Graph', tags: 'Tags', notes: 'Notes', admin: 'Admin' }[name] || name;
}

function pickCase() {
  const cases = (S.session && S.session.cases) || [];
  const stored = localStorage.getItem('trove.case');
  if (stored && cases.includes(stored)) return stored;
  return cases[0] || null;
}

function errorBox(e) {
  const status = e instanceof ApiError ? e.status : 0;
  const what = {
    0: 'Something went wrong',
    400: 'Bad request',
    403: 'Not allowed',
    404: 'Not found',
    409: 'Conflict',
  }[status] || `Error ${status}`;
  const hint = status === 404 ? 'It does not exist, or this account has no access to it.' : status === 403 ? 'Your role does not allow this.' : '';
  return el('div', { class: 'error-page', role: 'alert', dataset: { status: String(status) } },
    el('h2', null, `${what}${status ? ` (${status})` : ''}`),
    el('p', null, e.message),
    hint && el('p', { class: 'muted' }, hint),
    el('p', null, el('a', { href: link('search') }, 'Back to search')));
}

function notice(msg, kind = 'ok') {
  let box = document.getElementById('toasts');
  if (!box) {
    box = el('div', { id: 'toasts', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const t = el('div', { class: ['toast', kind] }, msg);
  box.append(t);
  setTimeout(() => t.remove(), kind === 'err' ? 6000 : 2500);
}

// ── layout: header ──────────────────────────────────────────────────────────────────────────

function renderShell() {
  clear(document.getElementById('app'), el('header', { id: 'top' }), el('main', { id: 'main' }));
}

function renderHeader(active) {
  const top = document.getElementById('top');
  if (!top) return;
  const s = S.session;
  const nav = [
    ['search', 'Search', link('search', S.last && S.last.params.q ? { q: S.last.params.q } : {})],
    ['graph', 'Graph', link('graph', S.last && S.last.params.q ? { q: S.last.params.q } : {})],
    ['tags', 'Tags', link('tags')],
    ['notes', 'Notes', link('notes')],
  ];
  if (isAdmin()) nav.push(['admin', 'Admin', link('admin')]);
  const chooser = el('select', {
    id: 'case-chooser',
    'aria-label': 'Case',
    onchange: (ev) => {
      S.case = ev.target.value;
      S.last = null;
      go(link('search', { case: S.case }));
    },
  }, s.cases.map((c) => el('option', { value: c, selected: c === S.case }, c)));
  if (!s.cases.includes(S.case)) chooser.selectedIndex = -1;
  clear(top,
    el('a', { class: 'brand', href: link('search') }, 'trove'),
    el('label', { class: 'case' }, el('span', null, 'Case'), chooser),
    el('nav', null, nav.map(([k, label, href]) => el('a', { href, class: k === active ? 'active' : null, dataset: { nav: k } }, label))),
    el('span', { class: 'spacer' }),
    el('span', { class: 'who' }, el('span', { class: 'user', id: 'whoami' }, s.user), el('span', { class: ['role', s.role] }, s.role)),
    el('button', { type: 'button', class: 'linkish', id: 'logout', onclick: logout }, 'Log out'));
}

async function logout() {
  try {
    await api('/api/logout', { method: 'POST', quiet: true });
  } catch { /* the session is gone either way */ }
  S.session = null;
  S.last = null;
  renderLogin('You are logged out.');
}

// ── login ───────────────────────────────────────────────────────────────────────────────────

function renderLogin(message) {
  const err = el('p', { class: 'login-msg', role: 'status' }, message || '');
  const user = el('input', { name: 'user', id: 'login-user', autocomplete: 'username', required: true, autofocus: true });
  const pass = el('input', { name: 'password', id: 'login-password', type: 'password', autocomplete: 'current-password', required: true });
  const form = el('form', {
    class: 'login',
    onsubmit: async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      try {
        S.session = await api('/api/login', { method: 'POST', body: { user: user.value, password: pass.value }, quiet: true });
        S.case = pickCase();
        start();
      } catch (e) {
        err.textContent = e.status === 401 ? 'Wrong user name or password, or the account is disabled.' : e.message;
        err.classList.add('bad');
        pass.select();
      }
    },
  },
  el('h1', null, 'trove'),
  el('p', { class: 'muted' }, 'Investigation workspace'),
  el('label', null, 'User', user),
  el('label', null, 'Password', pass),
  el('button', { type: 'submit', class: 'primary' }, 'Log in'),
  err,
  el('p', { class: 'fine' }, 'Every search, view and download is recorded in the audit log.'));
  clear(document.getElementById('app'), el('div', { class: 'login-wrap' }, form));
  document.title = 'Log in · trove';
  user.focus();
}

// ── search ──────────────────────────────────────────────────────────────────────────────────

const PAGE_SIZES = [25, 50, 100, 200];

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

/** The top-level terms of a query, with their positions (quotes and parentheses respected). */
function terms(q) {
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

function quoteValue(v) {
  return /^[\p{L}\p{N}._@\-/+]+$/u.test(v) ? v : `"${v.replace(/"/g, '')}"`;
}

function fieldTerm(field, value) {
  return `${field}:${quoteValue(value)}`;
}

function hasTerm(q, term) {
  return terms(q).some((t) => t.text.toLowerCase() === term.toLowerCase());
}

function removeTerms(q, pred) {
  let out = q;
  for (const t of terms(q).reverse()) if (pred(t.text)) out = out.slice(0, t.start) + out.slice(t.end);
  return out.replace(/\s+/g, ' ').trim();
}

function toggleTerm(q, term) {
  if (hasTerm(q, term)) return removeTerms(q, (t) => t.toLowerCase() === term.toLowerCase());
  const base = q.trim() === '*' ? '' : q.trim();
  return `${base} ${term}`.trim();
}

function setDate(q, range) {
  const base = removeTerms(q, (t) => /^date:/i.test(t));
  return `${base === '*' ? '' : base} ${range ? `date:${range}` : ''}`.trim();
}

function searchParams(params) {
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

function defaultSort(q) {
  return q.trim() === '' || q.trim() === '*' ? 'newest' : 'relevance';
}

function searchLink(p) {
  return link('search', {
    q: p.q,
    sort: p.sort !== defaultSort(p.q || '') ? p.sort : '',
    offset: p.offset || '',
    limit: p.limit !== 25 ? p.limit : '',
  });
}

async function pageSearch(_parts, params, seq) {
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

// The date histogram: months (or years over long spans) as SVG bars; drag across bars to
// filter to a range, click one bar for that period.

function monthsBetween(a, b) {
  const out = [];
  let [y, m] = a.split('-').map(Number);
  const [y2, m2] = b.split('-').map(Number);
  while (y < y2 || (y === y2 && m <= m2)) {
    out.push(`${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`);
    m += 1;
    if (m > 12) { m = 1; y += 1; }
  }
  return out;
}

function periods(f) {
  const months = (f && f.month ? f.month : []).filter((b) => /^\d{4}-\d{2}$/.test(b.value));
  if (!months.length) return { unit: 'month', bars: [] };
  const all = monthsBetween(months[0].value, months[months.length - 1].value);
  if (all.length > 240) {
    const years = (f.year || []).filter((b) => /^\d{4}$/.test(b.value));
    const counts = new Map(years.map((b) => [b.value, b.count]));
    const ys = [];
    for (let y = Number(years[0].value); y <= Number(years[years.length - 1].value); y += 1) ys.push(String(y));
    return { unit: 'year', bars: ys.map((v) => ({ value: v, count: counts.get(v) || 0 })) };
  }
  const counts = new Map(months.map((b) => [b.value, b.count]));
  return { unit: 'month', bars: all.map((v) => ({ value: v, count: counts.get(v) || 0 })) };
}

function renderHistogram(p, f) {
  const { unit, bars } = periods(f);
  const wrap = el('div', { class: 'histogram', id: 'histogram' });
  if (!bars.length) return wrap;
  const W = 1000;
  const H = 90;
  const pad = 16;
  const bw = W / bars.length;
  const max = Math.max(...bars.map((b) => b.count), 1);
  const svg = el('svg:svg', { viewBox: `0 0 ${W} ${H + pad}`, preserveAspectRatio: 'none', class: 'histo', role: 'img', 'aria-label': `Results per ${unit}` });
  const selected = dateSelection(p.q);
  bars.forEach((b, i) => {
    const h = b.count ? Math.max(2, (b.count / max) * (H - 4)) : 0;
    const on = selected && b.value >= selected[0].slice(0, b.value.length) && b.value <= selected[1].slice(0, b.value.length);
    add(svg, el('svg:rect', {
      x: (i * bw + bw * 0.1).toFixed(2), y: (H - h).toFixed(2), width: Math.max(0.5, bw * 0.8).toFixed(2), height: h.toFixed(2),
      class: ['bar', on && 'on'], dataset: { period: b.value, count: String(b.count) },
    }, el('svg:title', null, `${b.value}: ${plural(b.count, 'result')}`)));
  });
  add(svg, axis(bars, bw, H + pad - 3));
  const brush = el('svg:rect', { class: 'brush', x: 0, y: 0, width: 0, height: H, style: { display: 'none' } });
  add(svg, brush);
  let from = null;
  const idx = (ev) => {
    const r = svg.getBoundingClientRect();
    return Math.min(bars.length - 1, Math.max(0, Math.floor(((ev.clientX - r.left) / r.width) * bars.length)));
  };
  const draw = (a, b) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    brush.setAttribute('x', String(lo * bw));
    brush.setAttribute('width', String((hi - lo + 1) * bw));
    brush.style.display = 'inline';
  };
  svg.addEventListener('pointerdown', (ev) => {
    from = idx(ev);
    svg.setPointerCapture(ev.pointerId);
    draw(from, from);
    ev.preventDefault();
  });
  svg.addEventListener('pointermove', (ev) => { if (from !== null) draw(from, idx(ev)); });
  svg.addEventListener('pointerup', (ev) => {
    if (from === null) return;
    const to = idx(ev);
    const [lo, hi] = from <= to ? [from, to] : [to, from];
    from = null;
    const range = lo === hi ? bars[lo].value : `${bars[lo].value}..${bars[hi].value}`;
    go(searchLink({ ...p, q: setDate(p.q, range), offset: 0 }));
  });
  add(wrap,
    el('div', { class: 'histo-head' },
      el('span', null, `Results per ${unit}`),
      el('span', { class: 'muted' }, ` ${bars[0].value} – ${bars[bars.length - 1].value} · drag across bars to filter dates`),
      selected ? el('a', { class: 'chip', href: searchLink({ ...p, q: setDate(p.q, null), offset: 0 }), id: 'clear-dates' }, 'clear dates ×') : null),
    svg);
  return wrap;
}

/** Year labels under month (or year) bars: at each January, and at the start when no January is near. */
function axis(bars, bw, y) {
  const out = [];
  const yearly = !bars[0].value.includes('-');
  const step = yearly ? Math.max(1, Math.ceil(bars.length / 25)) : Math.max(1, Math.ceil(bars.length / 12 / 25));
  bars.forEach((b, i) => {
    const year = Number(b.value.slice(0, 4));
    const start = yearly || b.value.endsWith('-01');
    const first = i === 0 && !start && !bars.slice(1, 7).some((x) => x.value.endsWith('-01'));
    if ((start && year % step === 0) || first) out.push(el('svg:text', { x: (i * bw + 1).toFixed(1), y, class: 'axis' }, String(year)));
  });
  return out;
}

/** The `date:` range of a query as [from, to] period strings, if it has a simple one. */
function dateSelection(q) {
  for (const t of terms(q)) {
    const m = /^date:(\d{4}(?:-\d{2})?)(?:\.\.(\d{4}(?:-\d{2})?))?$/i.exec(t.text);
    if (m) return [m[1], m[2] || m[1]];
  }
  return null;
}

// The query language help: docs/query-language.md rendered by a small markdown reader that
// only makes text nodes. Clicking an example puts it in the query box.

async function fillHelp(box, input) {
  try {
    if (S.help === null) S.help = await api('/api/help');
    clear(box, markdown(String(S.help), (code) => {
      input.value = `${input.value.trim()} ${code}`.trim();
      input.focus();
    }));
  } catch (e) {
    clear(box, el('p', { class: 'bad' }, `The help could not be loaded: ${e.message}`));
  }
}

function inline(text, onCode) {
  const out = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\([^)]*\)/g;
  let pos = 0;
  for (const m of text.matchAll(re)) {
    out.push(text.slice(pos, m.index));
    if (m[1] !== undefined) {
      const code = m[1].replace(/\\\|/g, '|');
      out.push(el('code', { class: onCode ? 'example' : null, title: onCode ? 'Add to the query' : null, onclick: onCode ? () => onCode(code) : null }, code));
    } else if (m[2] !== undefined) out.push(el('strong', null, m[2]));
    else out.push(m[3]);
    pos = m.index + m[0].length;
  }
  out.push(text.slice(pos));
  return out;
}

function markdown(src, onCode) {
  const lines = src.replace(/\r\n/g, '\n').split('\n');
  const out = [];
  let i = 0;
  const cells = (l) => l.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());
  while (i < lines.length) {
    const l = lines[i];
    if (/^```/.test(l)) {
      const code = [];
      i += 1;
      while (i < lines.length && !/^```/.test(lines[i])) { code.push(lines[i]); i += 1; }
      i += 1;
      out.push(el('pre', null, code.join('\n')));
    } else if (/^#{1,6} /.test(l)) {
      const n = l.match(/^#+/)[0].length;
      out.push(el(`h${Math.min(6, n + 2)}`, null, inline(l.slice(n + 1), onCode)));
      i += 1;
    } else if (/^\|/.test(l)) {
      const rows = [];
      while (i < lines.length && /^\|/.test(lines[i])) { rows.push(lines[i]); i += 1; }
      const head = cells(rows[0]);
      const bodyRows = rows.slice(1).filter((r) => !/^\|[\s|:-]+\|$/.test(r.trim()));
      out.push(el('table', { class: 'md' },
        el('thead', null, el('tr', null, head.map((c) => el('th', null, inline(c, onCode))))),
        el('tbody', null, bodyRows.map((r) => el('tr', null, cells(r).map((c) => el('td', null, inline(c, onCode))))))));
    } else if (/^\s*[-*] /.test(l)) {
      const items = [];
      while (i < lines.length && (/^\s*[-*] /.test(lines[i]) || (/^\s{2,}\S/.test(lines[i]) && items.length))) {
        if (/^\s*[-*] /.test(lines[i])) items.push(lines[i].replace(/^\s*[-*] /, ''));
        else items[items.length - 1] += ` ${lines[i].trim()}`;
        i += 1;
      }
      out.push(el('ul', null, items.map((t) => el('li', null, inline(t, onCode)))));
    } else if (l.trim() === '') {
      i += 1;
    } else {
      const para = [];
      while (i < lines.length && lines[i].trim() !== '' && !/^(```|#|\||\s*[-*] )/.test(lines[i])) { para.push(lines[i]); i += 1; }
      out.push(el('p', null, inline(para.join(' '), onCode)));
    }
  }
  return out;
}

// ── message ─────────────────────────────────────────────────────────────────────────────────

function header(m, name) {
  const h = (m.headers || []).filter((x) => x.name.toLowerCase() === name.toLowerCase());
  return h.length ? h.map((x) => x.value).join(', ') : null;
}

async function pageMessage(parts, params, seq) {
  const id = parts[0];
  if (!/^\d+$/.test(id || '')) throw new ApiError(404, { error: `no item ${id}` });
  // The case's tags offer completions to those who may tag; they are not needed to show the page.
  const [m, caseTags] = await Promise.all([
    api(casePath('items', id)),
    canWrite() ? api(casePath('tags')).catch(() => []) : Promise.resolve([]),
  ]);
  if (seq !== S.seq) return null;
  // A loose document (an item outside any message, not a container): the text extracted from it.
  let docText = null;
  if (!m.message && m.item && m.item.sha256 && !(m.children || []).length) {
    // No text (404) is said as such; another failure is shown in place of the text, not instead of the page.
    docText = await api(casePath('items', id, 'text')).then((t) => (typeof t === 'string' ? t : JSON.stringify(t)), (e) => {
      if (e.status === 401) throw e;
      return e.status === 404 ? '' : e;
    });
    if (seq !== S.seq) return null;
  }
  const view = params.get('view') || localStorage.getItem('trove.view') || 'text';
  return renderMessage(m, id, view, { caseTags, docText });
}

function renderMessage(m, id, view, { caseTags = [], docText = null } = {}) {
  const msg = m.message;
  const item = m.item || {};
  const root = el('article', { class: 'message', dataset: { item: String(id) } });
  const subject = msg ? msg.subject || header(m, 'subject') || '(no subject)' : item.name || `item ${id}`;
  const pos = S.last ? S.last.resp.hits.findIndex((h) => String(h.item) === String(id)) : -1;
  if (pos >= 0) S.cursor = pos;

  // Toolbar.
  const nav = [];
  if (S.last) {
    nav.push(el('a', { class: 'btn', href: searchLink(S.last.params), id: 'back-results' }, '← Results'));
    const hits = S.last.resp.hits;
    if (pos > 0) nav.push(el('a', { class: 'btn', id: 'prev-msg', href: link(`item/${hits[pos - 1].item}`), title: 'Previous result (k)' }, '↑'));
    if (pos >= 0 && pos < hits.length - 1) nav.push(el('a', { class: 'btn', id: 'next-msg', href: link(`item/${hits[pos + 1].item}`), title: 'Next result (j)' }, '↓'));
    if (pos >= 0) nav.push(el('span', { class: 'muted' }, `result ${num(S.last.params.offset + pos + 1)} of ${num(S.last.resp.total)}`));
  }
  if (m.thread) nav.push(el('a', { class: 'btn', id: 'thread-link', href: link(`thread/${enc(m.thread)}`, { item: id }) }, 'Thread'));
  if (item.sha256) nav.push(el('a', { class: 'btn', id: 'download-raw', href: casePath('items', id, 'raw'), download: '' }, msg ? 'Download .eml' : 'Download'));
  add(root, el('div', { class: 'toolbar' }, nav));
  add(root, el('h1', { class: 'msg-subject', id: 'msg-subject' }, subject));

  const layout = el('div', { class: 'msg-layout' });
  const mainCol = el('div', { class: 'msg-main' });
  const side = el('aside', { class: 'msg-side' });
  add(layout, mainCol, side);
  add(root, layout);

  if (msg) {
    add(mainCol, renderHeaders(m, id), renderBody(m, id, view), renderAttachments(m, id));
    add(side, renderTags(m, id, caseTags), renderNotes(m, id));
  } else {
    add(mainCol, el('p', { class: 'muted' }, `This item is a ${item.kind || 'file'} (${item.format || 'unknown format'}${item.size !== null && item.size !== undefined ? `, ${fmtSize(item.size)}` : ''}), outcome ${item.outcome || '—'}${item.reason ? `: ${item.reason}` : ''}.`));
    if (docText !== null) add(mainCol, renderDocumentText(docText));
  }
  add(side, renderFlags(m), renderHashes(m), renderProvenance(m), renderCopies(m, id), renderChildren(m));
  return root;
}

/** The address headers shown, in this order, by their role in the message's `addresses`. */
const ADDRESS_ROLES = [['from', 'From'], ['sender', 'Sender'], ['reply-to', 'Reply-To'], ['to', 'To'], ['cc', 'Cc'], ['bcc', 'Bcc']];

function renderHeaders(m, id) {
  const msg = m.message;
  const addresses = m.addresses || [];
  const rows = ADDRESS_ROLES.map(([role, label]) => {
    const list = addresses.filter((a) => a.role === role);
    if (list.length) return [label, mailboxes(list)];
    // Nothing the parser could read as an address (a group, "undisclosed-recipients:;"…): the header as text.
    const raw = header(m, label);
    if (raw) return [label, raw];
    if (role === 'from' && (msg.from_name || msg.from_addr)) return [label, mailboxes([{ name: msg.from_name, address: msg.from_addr }])];
    return [label, null];
  });
  rows.push(
    ['Date', msg.date_raw ? `${msg.date_raw}  (${fmtDate(msg.date)} UTC)` : fmtDate(msg.date)],
    ['Message-ID', msg.message_id ? `<${msg.message_id}>` : null],
  );
  const shown = rows.filter(([, v]) => v && (!Array.isArray(v) || v.length));
  const all = el('table', { class: 'kv all-headers', hidden: true, id: 'all-headers' },
    (m.headers || []).map((h) => el('tr', null, el('th', null, h.name), el('td', null, h.value))));
  const raw = el('pre', { class: 'raw-headers', hidden: true, id: 'raw-headers' });
  const box = el('section', { class: 'headers' },
    el('table', { class: 'kv main-headers', id: 'main-headers' }, shown.map(([k, v]) => el('tr', null, el('th', null, k),
      el('td', { class: `h-${k.toLowerCase()}` }, v)))),
    el('div', { class: 'header-actions' },
      el('button', {
        type: 'button', class: 'linkish', id: 'toggle-headers',
        onclick: () => { all.hidden = !all.hidden; },
      }, `All headers (${(m.headers || []).length})`),
      el('button', {
        type: 'button', class: 'linkish', id: 'toggle-raw',
        onclick: async () => {
          raw.hidden = !raw.hidden;
          if (!raw.hidden && !raw.textContent) {
            raw.textContent = 'Loading…';
            try {
              const r = await api(casePath('items', id) + qs({ raw_headers: 'true' }));
              raw.textContent = r.raw_headers || '(none)';
            } catch (e) {
              raw.textContent = `Could not load: ${e.message}`;
            }
          }
        },
      }, 'Raw headers')),
    all, raw);
  return box;
}

function renderBody(m, id, view) {
  const box = el('section', { class: 'body' });
  const hasHtml = !!m.has_html;
  const current = hasHtml && view === 'html' ? 'html' : 'text';
  const pane = el('div', { class: 'body-pane' });
  const tabs = el('div', { class: 'tabs', role: 'tablist' });
  const show = (which) => {
    for (const b of tabs.children) b.setAttribute('aria-selected', String(b.dataset.view === which));
    if (which === 'html') {
      clear(pane, el('iframe', {
        class: 'mail-html', id: 'mail-html', title: 'The message as HTML, sanitised: no scripts, nothing remote',
        sandbox: 'allow-popups allow-popups-to-escape-sandbox', referrerpolicy: 'no-referrer',
        src: casePath('items', id, 'html'),
      }));
    } else {
      clear(pane, m.text && m.text.trim()
        ? el('pre', { class: 'body-text', id: 'body-text' }, markWords(m.text, queryWords(S.last && S.last.params.q)))
        : el('p', { class: 'muted', id: 'body-text' }, hasHtml ? 'This message has no text part; see the HTML view.' : 'This message has no body text.'));
    }
  };
  add(tabs,
    el('button', { type: 'button', role: 'tab', id: 'tab-text', dataset: { view: 'text' }, onclick: () => { localStorage.setItem('trove.view', 'text'); show('text'); } }, 'Text'),
    hasHtml ? el('button', { type: 'button', role: 'tab', id: 'tab-html', dataset: { view: 'html' }, onclick: () => { localStorage.setItem('trove.view', 'html'); show('html'); } }, 'HTML (safe view)') : null);
  const banner = remoteBanner(m);
  if (banner) add(box, banner);
  const links = m.links || [];
  add(box, tabs, pane);
  if (links.length) {
    add(box, el('details', { class: 'links' }, el('summary', null, `${plural(links.length, 'link')} in this message (opened only through a warning page)`),
      el('ul', { class: 'plain mono' }, links.map((u) => el('li', null, u)))));
  }
  show(current);
  return box;
}

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
function remoteBanner(m) {
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

function extractionSummary(x) {
  if (!x) return [el('span', { class: 'muted' }, 'not extracted')];
  const bits = [x.format, x.status];
  if (x.pages) bits.push(plural(x.pages, 'page'));
  if (x.text_len) bits.push(`${num(x.text_len)} chars of text`);
  if ((x.ocr_pending || []).length) bits.push(`${x.ocr_pending.length} pages awaiting OCR`);
  return [
    el('span', { class: 'small' }, bits.filter(Boolean).join(' · ')),
    x.reason ? el('div', { class: 'small muted' }, x.reason) : null,
    (x.flags || []).filter(Boolean).map((f) => el('span', { class: 'badge risk', title: 'Risk flag' }, f)),
    x.meta && (x.meta.author || x.meta.title) ? el('div', { class: 'small muted' }, [x.meta.title, x.meta.author].filter(Boolean).join(' — ')) : null,
  ];
}

/** Plain words of a query (no fields, operators or wildcards), folded: to mark them in a body. */
function queryWords(q) {
  if (!q) return [];
  const out = [];
  for (const t of terms(q)) {
    const text = t.text.replace(/^[+!-]/, '');
    if (/^[\p{L}\p{N}_]+:/u.test(text) || /^(AND|OR|NOT)$/.test(text) || /[*?~^]/.test(text)) continue;
    for (const w of text.replace(/["()]/g, ' ').split(/\s+/)) {
      const f = fold(w);
      if (f.length >= 3) out.push(f);
    }
  }
  return [...new Set(out)];
}

/** Lower case without accents, one UTF-16 unit for one (so indices match the original). */
function fold(text) {
  let out = '';
  for (const ch of text) {
    const f = ch.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
    out += f.length === ch.length ? f : ch;
  }
  return out;
}

/** Text with the query's words (and words starting with their stem) marked. */
function markWords(text, words) {
  if (!words.length) return [text];
  const folded = fold(text);
  const stems = words.map((w) => (w.length > 5 ? w.slice(0, w.length - 2) : w)).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${stems.join('|')})[\\p{L}\\p{N}]*`, 'gu');
  const out = [];
  let pos = 0;
  for (const m of folded.matchAll(re)) {
    out.push(text.slice(pos, m.index), el('mark', { class: 'term' }, text.slice(m.index, m.index + m[0].length)));
    pos = m.index + m[0].length;
  }
  out.push(text.slice(pos));
  return out;
}

function renderAttachments(m, id) {
  const atts = m.attachments || [];
  if (!atts.length) return null;
  const hitKeys = new Set();
  if (S.last) for (const h of S.last.resp.hits) if (String(h.item) === String(id)) for (const a of h.in_attachments || []) hitKeys.add(a.key);
  const openers = [];
  const box = el('section', { class: 'attachments', id: 'attachments' },
    el('h2', null, `Attachments (${atts.length})`),
    el('table', { class: 'grid' },
      el('thead', null, el('tr', null, ['', 'Name', 'Type', 'Size', 'Extraction', 'SHA-256', ''].map((t) => el('th', null, t)))),
      el('tbody', null, atts.map((a) => {
        const x = a.extraction;
        const textRow = el('tr', { class: 'att-text', hidden: true, dataset: { part: String(a.part) } }, el('td', { colspan: '7' }));
        const showText = async () => {
          textRow.hidden = !textRow.hidden;
          if (textRow.hidden || textRow.dataset.loaded) return;
          const cell = textRow.firstChild;
          clear(cell, el('span', { class: 'muted' }, 'Loading…'));
          try {
            const r = await api(casePath('items', id, 'attachments', a.part, 'text'));
            const text = typeof r === 'string' ? r : r && (r.text ?? JSON.stringify(r, null, 2));
            clear(cell, text && text.trim() ? el('pre', { class: 'body-text att-body' }, text.replace(/\f/g, '\n──────── page break ────────\n')) : el('span', { class: 'muted' }, 'No text was extracted from this attachment.'));
          } catch (e) {
            clear(cell, el('span', { class: 'muted' }, e.status === 404 ? 'No extracted text is available for this attachment.' : `Could not load the text: ${e.message}`));
          }
          textRow.dataset.loaded = '1';
        };
        const hasText = !x || x.text_len > 0;
        if (hitKeys.has(a.sha256) && hasText) openers.push(showText);
        return [el('tr', { class: hitKeys.has(a.sha256) ? 'matched' : null, dataset: { part: String(a.part) } },
          el('td', { class: 'muted' }, String(a.part)),
          el('td', { class: 'att-filename' }, a.is_message && a.item_id ? el('a', { href: link(`item/${a.item_id}`) }, a.name || '(attached message)') : a.name || '(unnamed)'),
          el('td', { class: 'mono small' }, a.mime),
          el('td', { class: 'num' }, fmtSize(a.size)),
          el('td', { class: 'extraction' }, a.is_message ? el('span', { class: 'muted small' }, 'a message of its own') : extractionSummary(x)),
          el('td', { class: 'mono small hash', title: a.sha256 }, a.sha256.slice(0, 12), '…'),
          el('td', { class: 'actions' },
            hasText && !a.is_message ? el('button', { type: 'button', class: 'btn small att-text-toggle', onclick: showText }, 'Text') : null,
            el('a', { class: 'btn small', href: casePath('items', id, 'attachments', a.part), download: '' }, 'Download'))),
        textRow];
      }))));
  // Attachments the search matched open with their text.
  for (const f of openers) f();
  return box;
}

function section(title, ...children) {
  return el('section', { class: 'side-box' }, el('h2', null, title), children);
}

/** The text extracted from a loose document, with the query's words marked; long texts in part until asked. */
function renderDocumentText(raw) {
  if (raw instanceof Error) {
    return el('section', { class: 'document', id: 'document' }, el('h2', null, 'Extracted text'), el('p', { class: 'bad' }, `The text could not be loaded: ${raw.message}`));
  }
  const LIMIT = 200_000;
  const text = raw.replace(/\f/g, '\n──────── page break ────────\n');
  const words = queryWords(S.last && S.last.params.q);
  const pre = el('pre', { class: 'body-text doc-text', id: 'doc-text' });
  const show = (all) => clear(pre, markWords(all || text.length <= LIMIT ? text : text.slice(0, LIMIT), words));
  const more = text.length > LIMIT ? el('button', {
    type: 'button', class: 'btn small', id: 'doc-text-all',
    onclick: (ev) => { show(true); ev.currentTarget.remove(); },
  }, `Show all ${num(text.length)} characters`) : null;
  if (text.trim()) show(false);
  return el('section', { class: 'document', id: 'document' },
    el('h2', null, 'Extracted text'),
    text.trim()
      ? [el('p', { class: 'small muted' }, `${num(raw.length)} characters${more ? `; the first ${num(LIMIT)} are shown` : ''}.`), pre, more]
      : el('p', { class: 'muted', id: 'doc-text-none' }, 'No text was extracted from this document.'));
}

function renderTags(m, id, caseTags = []) {
  const tags = m.tags || [];
  const list = el('ul', { class: 'tags', id: 'tags' }, tags.map((t) => el('li', { class: 'tag', dataset: { tag: t.tag } },
    el('a', { href: link('search', { q: fieldTerm('tag', t.tag) }), title: `${t.author || '?'}, ${fmtStamp(t.at)}` }, t.tag),
    canWrite() ? el('button', {
      type: 'button', class: 'x', title: `Remove tag ${t.tag}`, 'aria-label': `Remove tag ${t.tag}`,
      onclick: async () => {
        try {
          await api(casePath('items', id, 'tags', t.tag), { method: 'DELETE' });
          notice(`Tag ${t.tag} removed`);
          route();
        } catch (e) { notice(e.message, 'err'); }
      },
    }, '×') : null)));
  const form = canWrite() ? el('form', {
    class: 'inline-form', id: 'tag-form',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const input = ev.currentTarget.elements.tag;
      const tag = input.value.trim();
      if (!tag) return;
      try {
        await api(casePath('items', id, 'tags'), { method: 'POST', body: { tag } });
        notice(`Tagged ${tag}`);
        route();
      } catch (e) { notice(e.message, 'err'); }
    },
  }, el('input', { name: 'tag', id: 'tag-input', placeholder: 'new tag', maxlength: '64', 'aria-label': 'New tag', list: 'tag-suggestions', autocomplete: 'off' }),
  // The case's tags (most used first) that this message does not carry yet.
  el('datalist', { id: 'tag-suggestions' }, caseTags.filter((t) => !tags.some((x) => x.tag === t.tag))
    .map((t) => el('option', { value: t.tag, label: `${t.tag} (${plural(t.count, 'message')})` }))),
  el('button', { type: 'submit', class: 'btn small', id: 'tag-add' }, 'Add tag')) : null;
  return section('Tags', tags.length ? list : el('p', { class: 'muted' }, 'No tags.'), form,
    el('p', { class: 'small' }, el('a', { href: link('tags'), id: 'all-tags' }, 'All tags of the case →')));
}

function renderNotes(m, id) {
  const notes = m.notes || [];
  const form = canWrite() ? el('form', {
    class: 'note-form', id: 'note-form',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const ta = ev.currentTarget.elements.text;
      const text = ta.value.trim();
      if (!text) return;
      try {
        await api(casePath('items', id, 'notes'), { method: 'POST', body: { text } });
        notice('Note added');
        route();
      } catch (e) { notice(e.message, 'err'); }
    },
  }, el('textarea', { name: 'text', id: 'note-input', rows: '3', placeholder: 'Add a note for the team', 'aria-label': 'New note', maxlength: '20000' }),
  el('button', { type: 'submit', class: 'btn small', id: 'note-add' }, 'Add note')) : null;
  return section('Notes',
    notes.length ? el('ol', { class: 'notes', id: 'notes' }, notes.map((n) => el('li', { class: 'note' },
      el('div', { class: 'note-meta' }, el('strong', null, n.author || '?'), ' · ', fmtStamp(n.at)),
      el('div', { class: 'note-text' }, n.text)))) : el('p', { class: 'muted' }, 'No notes.'),
    form,
    el('p', { class: 'small' }, el('a', { href: link('notes'), id: 'all-notes' }, 'All notes of the case →')));
}

function renderFlags(m) {
  const msg = m.message || {};
  const item = m.item || {};
  const rows = [];
  if (item.flags) rows.push(['Mailbox flags', maildirFlags(item.flags)]);
  if ((msg.problems || []).length) rows.push(['Problems', msg.problems.join(', ')]);
  if (msg.date_source && msg.date_source !== 'header') rows.push(['Date from', msg.date_source]);
  if (item.reason) rows.push(['Note', item.reason]);
  rows.push(['Outcome', item.outcome || '—']);
  if (msg.size) rows.push(['Size', fmtSize(msg.size)]);
  return section('Flags', kv(rows));
}

function maildirFlags(f) {
  const names = { S: 'seen', R: 'replied', F: 'flagged', T: 'trashed', D: 'draft', P: 'passed' };
  return `${f} (${[...f].map((c) => names[c] || c).join(', ')})`;
}

function kv(rows) {
  return el('table', { class: 'kv' }, rows.map(([k, v]) => el('tr', null, el('th', null, k), el('td', null, v))));
}

function renderHashes(m) {
  const msg = m.message || {};
  const item = m.item || {};
  const rows = [];
  if (item.sha256) rows.push(['SHA-256', el('span', { class: 'mono hash-full' }, item.sha256)]);
  if (msg.content_key) rows.push(['Content key', el('span', { class: 'mono hash-full', title: 'Links the copies of one message' }, msg.content_key)]);
  return section('Hashes', kv(rows));
}

function renderProvenance(m) {
  const item = m.item || {};
  const chain = m.provenance || [];
  return section('Provenance',
    kv([
      ['Source', item.source || '—'],
      ['Folder', item.folder || '—'],
      ['Item', `#${item.id} · ${item.kind || ''} · ${item.format || ''}`],
      item.offset !== null && item.offset !== undefined ? ['Bytes', `${num(item.offset)} + ${num(item.length)}`] : null,
    ].filter(Boolean)),
    el('ol', { class: 'chain', id: 'provenance' }, chain.map((c, i) => el('li', { class: c.id === item.id ? 'self' : null },
      el('span', { class: 'badge' }, c.format), ' ',
      el('span', { class: 'mono small' }, i === 0 ? c.locator : c.name || c.locator)))));
}

function renderCopies(m, id) {
  const copies = m.copies || [];
  if (copies.length <= 1) return section('Copies', el('p', { class: 'muted' }, 'The only copy in the case.'));
  return section(`Copies (${copies.length})`, el('ul', { class: 'copies plain', id: 'copies' }, copies.map((c) => el('li', { class: String(c.id) === String(id) ? 'self' : null },
    String(c.id) === String(id) ? el('strong', null, c.folder || '(no folder)') : el('a', { href: link(`item/${c.id}`) }, c.folder || '(no folder)'),
    el('div', { class: 'mono small muted' }, `${c.source} · ${c.outcome} · ${c.locator}`)))));
}

function renderChildren(m) {
  const kids = (m.children || []).filter((c) => c.outcome !== 'duplicate' || c.message);
  if (!kids.length) return null;
  return section(`Items inside (${kids.length})`, el('ul', { class: 'plain' }, kids.map((c) => el('li', null,
    c.message ? el('a', { href: link(`item/${c.id}`) }, c.name) : el('span', null, c.name),
    el('span', { class: 'muted small' }, ` ${c.format} · ${c.outcome}`)))));
}

// ── thread ──────────────────────────────────────────────────────────────────────────────────

async function pageThread(parts, params, seq) {
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

// ── person ──────────────────────────────────────────────────────────────────────────────────

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

async function pagePerson(parts, _params, seq) {
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

// ── graph ───────────────────────────────────────────────────────────────────────────────────

const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#9333ea', '#ea580c'];

function domainColor(addr) {
  const d = addr.split('@')[1] || addr;
  let h = 0;
  for (const c of d) h = (h * 31 + c.codePointAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

/** A force-directed layout (spring edges, node repulsion, gravity), computed before drawing. */
function layout(nodes, edges, W, H) {
  const n = nodes.length;
  const pos = nodes.map((_, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, n);
    return { x: W / 2 + (W / 3) * Math.cos(a), y: H / 2 + (H / 3) * Math.sin(a), vx: 0, vy: 0 };
  });
  const index = new Map(nodes.map((nd, i) => [nd.value, i]));
  const links = edges.map((e) => [index.get(e.from), index.get(e.to), e.count]).filter(([a, b]) => a !== undefined && b !== undefined);
  const k = Math.sqrt((W * H) / Math.max(1, n)) * 0.6;
  for (let step = 0; step < 300; step += 1) {
    const t = 1 - step / 300;
    for (let i = 0; i < n; i += 1) {
      for (let j = i + 1; j < n; j += 1) {
        let dx = pos[i].x - pos[j].x;
        let dy = pos[i].y - pos[j].y;
        let d2 = dx * dx + dy * dy;
        if (d2 < 0.01) { dx = Math.random() - 0.5; dy = Math.random() - 0.5; d2 = 0.5; }
        const f = (k * k) / d2;
        pos[i].vx += dx * f * 0.05; pos[i].vy += dy * f * 0.05;
        pos[j].vx -= dx * f * 0.05; pos[j].vy -= dy * f * 0.05;
      }
    }
    for (const [a, b] of links) {
      const dx = pos[b].x - pos[a].x;
      const dy = pos[b].y - pos[a].y;
      const d = Math.sqrt(dx * dx + dy * dy) || 1;
      const f = ((d - k) / d) * 0.05;
      pos[a].vx += dx * f; pos[a].vy += dy * f;
      pos[b].vx -= dx * f; pos[b].vy -= dy * f;
    }
    for (const p of pos) {
      p.vx += (W / 2 - p.x) * 0.01;
      p.vy += (H / 2 - p.y) * 0.01;
      const v = Math.sqrt(p.vx * p.vx + p.vy * p.vy);
      const cap = 20 * t + 1;
      if (v > cap) { p.vx = (p.vx / v) * cap; p.vy = (p.vy / v) * cap; }
      p.x = Math.min(W - 40, Math.max(40, p.x + p.vx));
      p.y = Math.min(H - 20, Math.max(20, p.y + p.vy));
      p.vx *= 0.5; p.vy *= 0.5;
    }
  }
  return { pos, links };
}

async function pageGraph(_parts, params, seq) {
  const q = params.get('q') || '';
  const nodes = Number(params.get('nodes')) || 40;
  const input = el('input', { id: 'graph-q', type: 'search', value: q, placeholder: 'Query (empty: the whole case)', 'aria-label': 'Query' });
  const size = el('select', { 'aria-label': 'Addresses' }, [20, 40, 80, 150].map((n) => el('option', { value: String(n), selected: n === nodes }, `${n} addresses`)));
  const form = el('form', {
    class: 'querybar',
    onsubmit: (ev) => { ev.preventDefault(); go(link('graph', { q: input.value.trim(), nodes: size.value })); },
  }, input, size, el('button', { type: 'submit', class: 'primary' }, 'Draw'));
  const g = await api(casePath('graph') + qs({ q, nodes }));
  if (seq !== S.seq) return null;
  const root = el('section', { class: 'graph' },
    el('div', { class: 'toolbar' }, el('a', { class: 'btn', href: link('search', { q }) }, '← Search this query')),
    el('h1', null, 'Who wrote to whom'), form,
    el('p', { class: 'muted' }, `${plural(g.messages, 'message')} · ${plural(g.nodes.length, 'address', 'addresses')} · ${plural(g.edges.length, 'link')}. Click an address for its page; hover to see its links.`));
  if (!g.nodes.length) return add(root, el('div', { class: 'empty' }, 'No mail between addresses for this query.'));
  const W = 1300;
  const H = 600;
  const { pos, links } = layout(g.nodes, g.edges, W, H);
  const maxN = Math.max(...g.nodes.map((n) => n.count), 1);
  const maxE = Math.max(...g.edges.map((e) => e.count), 1);
  const svg = el('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'graph-svg', id: 'graph-svg', role: 'img', 'aria-label': 'Correspondence graph' },
    el('svg:defs', null, el('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
      el('svg:path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))));
  const radius = (c) => 5 + 16 * Math.sqrt(c / maxN);
  const edgeEls = links.map(([a, b, count]) => {
    const dx = pos[b].x - pos[a].x;
    const dy = pos[b].y - pos[a].y;
    const d = Math.sqrt(dx * dx + dy * dy) || 1;
    const rb = radius(g.nodes[b].count) + 2;
    const line = el('svg:line', {
      x1: pos[a].x.toFixed(1), y1: pos[a].y.toFixed(1),
      x2: (pos[b].x - (dx / d) * rb).toFixed(1), y2: (pos[b].y - (dy / d) * rb).toFixed(1),
      class: 'edge', 'marker-end': 'url(#arrow)', dataset: { from: String(a), to: String(b) },
    }, el('svg:title', null, `${g.nodes[a].value} → ${g.nodes[b].value}: ${plural(count, 'message')}`));
    line.style.strokeWidth = String(0.6 + 4 * Math.sqrt(count / maxE));
    return line;
  });
  add(svg, el('svg:g', { class: 'edges' }, edgeEls));
  const nodeG = el('svg:g', { class: 'nodes' });
  g.nodes.forEach((n, i) => {
    const r = radius(n.count);
    const c = el('svg:circle', { cx: pos[i].x.toFixed(1), cy: pos[i].y.toFixed(1), r: r.toFixed(1), class: 'node' });
    c.style.fill = domainColor(n.value);
    const a = el('svg:a', { href: link(`person/${enc(n.value)}`), class: 'node-a', dataset: { address: n.value, i: String(i) } },
      el('svg:title', null, `${n.value}: ${plural(n.count, 'message')}`),
      c,
      el('svg:text', { x: (pos[i].x + r + 3).toFixed(1), y: (pos[i].y + 4).toFixed(1), class: 'label' }, n.value.split('@')[0]));
    a.addEventListener('mouseenter', () => {
      svg.classList.add('focus');
      for (const e of edgeEls) if (e.dataset.from === String(i) || e.dataset.to === String(i)) e.classList.add('hot');
      a.classList.add('hot');
    });
    a.addEventListener('mouseleave', () => {
      svg.classList.remove('focus');
      for (const e of edgeEls) e.classList.remove('hot');
      a.classList.remove('hot');
    });
    add(nodeG, a);
  });
  add(svg, nodeG);
  const domains = [...new Set(g.nodes.map((n) => n.value.split('@')[1] || n.value))].slice(0, 12);
  add(root,
    el('div', { class: 'card graph-card' }, svg,
      el('div', { class: 'legend' }, domains.map((d) => {
        const sw = el('span', { class: 'swatch' });
        sw.style.background = domainColor(`x@${d}`);
        return el('span', { class: 'legend-item' }, sw, d);
      }))),
    el('details', { class: 'card' }, el('summary', null, 'Links as a table'),
      el('table', { class: 'grid' },
        el('thead', null, el('tr', null, ['From', 'To', 'Messages', ''].map((t) => el('th', null, t)))),
        el('tbody', null, g.edges.map((e) => el('tr', null,
          el('td', null, el('a', { href: link(`person/${enc(e.from)}`) }, e.from)),
          el('td', null, el('a', { href: link(`person/${enc(e.to)}`) }, e.to)),
          el('td', { class: 'num' }, num(e.count)),
          el('td', null, el('a', { href: link('search', { q: `${q ? `(${q}) ` : ''}from:${quoteValue(e.from)} to:${quoteValue(e.to)}`.trim() }) }, 'messages'))))))));
  return root;
}

// ── tags ────────────────────────────────────────────────────────────────────────────────────

async function pageTags(_parts, _params, seq) {
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

// ── notes ───────────────────────────────────────────────────────────────────────────────────

const NOTES_PAGE = 50;

async function pageNotes(_parts, params, seq) {
  const author = (params.get('author') || '').trim();
  const before = params.get('before') || '';
  const notes = await api(casePath('notes') + qs({ author, before, limit: NOTES_PAGE }));
  if (seq !== S.seq) return null;
  const authors = [...new Set(notes.map((n) => n.author).filter(Boolean))].sort();
  const input = el('input', { name: 'author', id: 'notes-author', value: author, placeholder: 'author (user name)', 'aria-label': 'Author', list: 'notes-authors', autocomplete: 'off' });
  const form = el('form', {
    class: 'inline-form', id: 'notes-filter',
    onsubmit: (ev) => { ev.preventDefault(); go(link('notes', { author: input.value.trim() })); },
  }, input, el('datalist', { id: 'notes-authors' }, authors.map((a) => el('option', { value: a }))),
  el('button', { type: 'submit', class: 'btn primary' }, 'Filter'),
  author ? el('a', { class: 'btn', href: link('notes'), id: 'notes-all' }, 'Everyone') : null);
  const older = notes.length >= NOTES_PAGE ? el('a', { class: 'btn', id: 'notes-older', href: link('notes', { author, before: notes[notes.length - 1].id }) }, 'Older →') : null;
  return el('section', { class: 'case-notes' },
    el('h1', null, 'Notes'),
    el('p', { class: 'muted' }, `The team's notes in case ${S.case}, newest first${author ? `, by ${author}` : ''}${before ? ', older page' : ''}.`),
    el('section', { class: 'card' }, form),
    notes.length
      ? el('ol', { class: 'notes notes-page', id: 'case-notes' }, notes.map((n) => el('li', { class: 'note', dataset: { id: String(n.id) } },
        el('div', { class: 'note-meta' },
          n.author ? el('a', { class: 'note-author', href: link('notes', { author: n.author }), title: `Notes by ${n.author}` }, el('strong', null, n.author)) : el('strong', null, '?'),
          ' · ', el('span', { class: 'note-at' }, fmtStamp(n.at)), ' · on ',
          n.item !== null && n.item !== undefined
            ? el('a', { class: 'note-msg', href: link(`item/${n.item}`) }, n.subject || '(no subject)')
            : el('span', { class: 'muted' }, 'a message no longer in the case')),
        el('div', { class: 'note-text' }, n.text))))
      : el('div', { class: 'empty' }, author ? `No notes by ${author}${before ? ' before these' : ''}.` : 'No notes yet. Reporters add notes on the message page.'),
    el('nav', { class: 'pager' }, before ? el('a', { class: 'btn', id: 'notes-newest', href: link('notes', { author }) }, '« Newest') : null, older));
}

// ── admin ───────────────────────────────────────────────────────────────────────────────────

async function pageAdmin(parts, params, seq) {
  if (!isAdmin()) throw new ApiError(403, { error: 'The admin pages are for administrators.' });
  const tab = parts[0] === 'audit' ? 'audit' : 'users';
  const tabs = el('nav', { class: 'subnav' },
    el('a', { href: link('admin'), class: tab === 'users' ? 'active' : null, id: 'admin-users-tab' }, 'Users and grants'),
    el('a', { href: link('admin/audit'), class: tab === 'audit' ? 'active' : null, id: 'admin-audit-tab' }, 'Audit log'));
  const body = tab === 'audit' ? await adminAudit(params, seq) : await adminUsers(seq);
  if (seq !== S.seq) return null;
  return el('section', { class: 'admin' }, el('h1', null, 'Administration'), tabs, body);
}

async function adminUsers(seq) {
  const users = await api('/api/admin/users');
  if (seq !== S.seq) return null;
  const cases = S.session.cases;
  const patch = async (name, body, what) => {
    try {
      await api(`/api/admin/users/${enc(name)}`, { method: 'PATCH', body });
      notice(`${name}: ${what}`);
    } catch (e) { notice(e.message, 'err'); }
    route();
  };
  const create = el('form', {
    class: 'inline-form create-user', id: 'create-user',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const f = ev.currentTarget.elements;
      try {
        await api('/api/admin/users', { method: 'POST', body: { name: f.name.value.trim(), password: f.password.value, role: f.role.value } });
        notice(`User ${f.name.value.trim()} created`);
        route();
      } catch (e) { notice(e.message, 'err'); }
    },
  },
  el('input', { name: 'name', placeholder: 'user name', required: true, 'aria-label': 'User name', autocomplete: 'off' }),
  el('input', { name: 'password', type: 'password', placeholder: 'password (10+ characters)', required: true, minlength: '10', 'aria-label': 'Password', autocomplete: 'new-password' }),
  el('select', { name: 'role', 'aria-label': 'Role' }, ['reporter', 'viewer', 'admin'].map((r) => el('option', { value: r }, r))),
  el('button', { type: 'submit', class: 'btn primary' }, 'Create user'));
  return el('div', null,
    el('section', { class: 'card' }, el('h2', null, 'New account'), create),
    el('section', { class: 'card' }, el('h2', null, `Accounts (${users.length})`),
      el('table', { class: 'grid users', id: 'users' },
        el('thead', null, el('tr', null, ['User', 'Role', 'Status', ...cases.map((c) => `Case ${c}`), 'Created', 'Password'].map((t) => el('th', null, t)))),
        el('tbody', null, users.map((u) => el('tr', { class: u.disabled ? 'disabled' : null, dataset: { user: u.name } },
          el('td', null, el('strong', null, u.name), u.name === S.session.user ? el('span', { class: 'muted' }, ' (you)') : null),
          el('td', null, el('select', {
            'aria-label': `Role of ${u.name}`, class: 'role-select',
            onchange: (ev) => patch(u.name, { role: ev.target.value }, `role ${ev.target.value}`),
          }, ['admin', 'reporter', 'viewer'].map((r) => el('option', { value: r, selected: r === u.role }, r)))),
          el('td', null, el('button', {
            type: 'button', class: 'btn small',
            onclick: () => patch(u.name, { disabled: !u.disabled }, u.disabled ? 'enabled' : 'disabled'),
          }, u.disabled ? 'Enable' : 'Disable'), u.disabled ? el('span', { class: 'badge risk' }, 'disabled') : null),
          cases.map((c) => el('td', { class: 'center' }, el('input', {
            type: 'checkbox', checked: u.role === 'admin' || u.grants.includes(c), disabled: u.role === 'admin',
            title: u.role === 'admin' ? 'Admins see every case' : `Grant ${c} to ${u.name}`, 'aria-label': `Grant ${c} to ${u.name}`,
            dataset: { grant: c },
            onchange: async (ev) => {
              try {
                await api(`/api/admin/users/${enc(u.name)}/grants/${enc(c)}`, { method: ev.target.checked ? 'PUT' : 'DELETE' });
                notice(`${u.name}: ${ev.target.checked ? 'granted' : 'revoked'} ${c}`);
              } catch (e) { notice(e.message, 'err'); }
              route();
            },
          }))),
          el('td', { class: 'small' }, fmtStamp(u.created_at).slice(0, 16)),
          el('td', null, el('form', {
            class: 'inline-form',
            onsubmit: (ev) => {
              ev.preventDefault();
              const pw = ev.currentTarget.elements.pw.value;
              patch(u.name, { password: pw }, 'password changed (sessions ended)');
            },
          }, el('input', { name: 'pw', type: 'password', placeholder: 'new password', minlength: '10', required: true, 'aria-label': `New password for ${u.name}`, autocomplete: 'new-password' }),
          el('button', { type: 'submit', class: 'btn small' }, 'Set')))))))));
}

async function adminAudit(params, seq) {
  const f = {
    user: params.get('user') || '',
    case: params.get('audit_case') || '',
    action: params.get('action') || '',
    limit: params.get('limit') || '200',
    before: params.get('before') || '',
  };
  const rows = await api(`/api/admin/audit${qs(f)}`);
  if (seq !== S.seq) return null;
  const actions = ['login', 'login-failed', 'logout', 'denied', 'search', 'view', 'thread', 'person', 'graph', 'download', 'download-attachment', 'view-attachment-text', 'view-document-text', 'export', 'tag', 'untag', 'note', 'notes', 'user-create', 'user-update', 'grant', 'revoke', 'audit-view'];
  const form = el('form', {
    class: 'inline-form audit-filters', id: 'audit-filters',
    onsubmit: (ev) => {
      ev.preventDefault();
      const e = ev.currentTarget.elements;
      go(link('admin/audit', { user: e.user.value.trim(), audit_case: e.acase.value, action: e.action.value, limit: e.limit.value }));
    },
  },
  el('input', { name: 'user', value: f.user, placeholder: 'user', 'aria-label': 'User' }),
  el('select', { name: 'acase', 'aria-label': 'Case' }, el('option', { value: '' }, 'any case'), S.session.cases.map((c) => el('option', { value: c, selected: c === f.case }, c))),
  el('select', { name: 'action', 'aria-label': 'Action' }, el('option', { value: '' }, 'any action'), actions.map((a) => el('option', { value: a, selected: a === f.action }, a))),
  el('select', { name: 'limit', 'aria-label': 'Rows' }, ['50', '200', '1000', '5000'].map((n) => el('option', { value: n, selected: n === f.limit }, `${n} rows`))),
  el('button', { type: 'submit', class: 'btn primary' }, 'Filter'),
  el('a', { class: 'btn', id: 'audit-csv', href: `/api/admin/audit${qs({ user: f.user, case: f.case, action: f.action, format: 'csv' })}`, download: '' }, 'Export CSV'));
  const older = rows.length && rows.length >= Number(f.limit)
    ? el('a', { class: 'btn', href: link('admin/audit', { user: f.user, audit_case: f.case, action: f.action, limit: f.limit, before: rows[rows.length - 1].id }) }, 'Older →')
    : null;
  return el('div', null,
    el('section', { class: 'card' }, form),
    el('table', { class: 'grid audit', id: 'audit' },
      el('thead', null, el('tr', null, ['#', 'When (UTC)', 'User', 'Case', 'Action', 'Detail', 'IP'].map((t) => el('th', null, t)))),
      el('tbody', null, rows.map((r) => el('tr', { class: `a-${r.action}` },
        el('td', { class: 'num muted' }, String(r.id)),
        el('td', { class: 'small nowrap' }, fmtStamp(r.at)),
        el('td', null, r.user || '—'),
        el('td', null, r.case || ''),
        el('td', null, el('span', { class: ['badge', /fail|revoke|disable|denied/.test(r.action) && 'risk'] }, r.action)),
        el('td', { class: 'mono small detail' }, r.detail && Object.keys(r.detail).length ? JSON.stringify(r.detail) : ''),
        el('td', { class: 'small muted' }, r.ip || ''))))),
    el('div', { class: 'pager' }, f.before ? el('a', { class: 'btn', href: link('admin/audit', { user: f.user, audit_case: f.case, action: f.action, limit: f.limit }) }, '« Newest') : null, older));
}

// ── keyboard ────────────────────────────────────────────────────────────────────────────────

function selectHit(i) {
  const items = [...document.querySelectorAll('#results > li.hit')];
  if (!items.length) return;
  S.cursor = Math.max(0, Math.min(items.length - 1, i));
  items.forEach((li, j) => li.classList.toggle('selected', j === S.cursor));
  items[S.cursor].scrollIntoView({ block: 'nearest' });
}

document.addEventListener('keydown', (ev) => {
  if (!S.session || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const t = ev.target;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) {
    if (ev.key === 'Escape') t.blur();
    return;
  }
  const page = parseHash().parts[0] || 'search';
  if (ev.key === '/') {
    const q = document.getElementById('q') || document.getElementById('graph-q');
    if (q) { ev.preventDefault(); q.focus(); q.select(); }
  } else if (page === 'search' && (ev.key === 'j' || ev.key === 'k')) {
    // Past the last hit of a page (or before the first), j/k turn the page and select on.
    const n = document.querySelectorAll('#results > li.hit').length;
    const turn = ev.key === 'j' && S.cursor >= n - 1 ? ['next-page', 'first']
      : ev.key === 'k' && S.cursor <= 0 && n ? ['prev-page', 'last'] : null;
    const a = turn && document.querySelector(`a#${turn[0]}`);
    if (a) {
      S.selectOnRender = turn[1];
      go(a.getAttribute('href'));
    } else {
      selectHit(S.cursor + (ev.key === 'j' ? 1 : -1));
    }
  } else if (page === 'search' && (ev.key === 'Enter' || ev.key === 'o') && S.cursor >= 0) {
    const a = document.querySelector('#results > li.hit.selected a.subject');
    if (a) go(a.getAttribute('href'));
  } else if (page === 'item' && (ev.key === 'j' || ev.key === 'k')) {
    const a = document.getElementById(ev.key === 'j' ? 'next-msg' : 'prev-msg');
    if (a) go(a.getAttribute('href'));
  } else if (page === 'item' && ev.key === 'u') {
    const a = document.getElementById('back-results');
    if (a) go(a.getAttribute('href'));
  } else if (page === 'item' && ev.key === 't') {
    const a = document.getElementById('thread-link');
    if (a) go(a.getAttribute('href'));
  }
});

// ── boot ────────────────────────────────────────────────────────────────────────────────────

function start() {
  renderShell();
  if (!location.hash || location.hash === '#' || location.hash === '#/') {
    history.replaceState(null, '', link('search'));
  }
  route();
}

window.addEventListener('hashchange', () => { if (S.session) route(); });

(async () => {
  try {
    S.session = await api('/api/session', { quiet: true });
    start();
  } catch (e) {
    renderLogin(e.status === 401 ? '' : e.message);
  }
})();
