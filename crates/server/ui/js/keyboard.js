// Keyboard shortcuts: / focuses the query; j/k, Enter/o on results; j/k, u, t on a message.

import { go, parseHash } from './nav.js';
import { selectHit } from './search.js';
import { S } from './state.js';

/** Installs the shortcuts (once, from main.js). */
export function bindKeys() {
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
}
