// The router: the page of each route, rendered into #main; stale answers are dropped (S.seq).

import { pageAdmin } from './admin.js';
import { ApiError } from './api.js';
import { clear, el } from './dom.js';
import { pageGraph } from './graph.js';
import { renderHeader } from './layout.js';
import { pageMessage } from './message.js';
import { link, parseHash } from './nav.js';
import { pageNotes } from './notes.js';
import { pagePerson } from './people.js';
import { pageSearch } from './search.js';
import { pickCase, S } from './state.js';
import { pageTags } from './tags.js';
import { pageThread } from './thread.js';

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

export async function renderRoute() {
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
