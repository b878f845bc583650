// The shell (header and main) and the header: brand, case chooser, navigation, user, log out.

import { api } from './api.js';
import { clear, el } from './dom.js';
import { renderLogin } from './login.js';
import { go, link } from './nav.js';
import { isAdmin, S } from './state.js';

export function renderShell() {
  clear(document.getElementById('app'), el('header', { id: 'top' }), el('main', { id: 'main' }));
}

export function renderHeader(active) {
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
