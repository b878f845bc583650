// trove — the browser UI of `trove serve`. This module boots it; index.html loads it as
// <script type="module">, and the browser loads the rest as ES modules from /js/ (no build step).
//
// A client of the JSON API under /api and nothing more. Rules that keep mail data inert:
// every node is built with el() (text only ever goes through text nodes / textContent, never
// innerHTML), every link the UI makes points at its own origin (safeUrl), mail HTML is only ever
// shown inside a sandboxed iframe without scripts, served by the API with its own strict CSP.
//
// Modules (crates/server/ui/js/), each importing only from modules listed above it, so there
// is no cycle:
//   dom          el, add, clear, enc                      (imports nothing)
//   format       num, dates, sizes, plural                (imports nothing)
//   state        S, canWrite, isAdmin, pickCase           (imports nothing)
//   api          api, ApiError, casePath, qs              ← dom, state
//   nav          link, parseHash, go, route               ← api, state
//   query        query terms, search links                ← nav
//   highlight    marks in text (snippets, query words)    ← dom, query
//   widgets      notice, section, kv                      ← dom
//   chart        monthsBetween, axis                      ← dom
//   help         the query language help                  ← api, dom, state
//   histogram    the search page's date histogram         ← chart, dom, format, nav, query
//   search       the search page, selectHit               ← api, dom, format, help, highlight, histogram, nav, query, state
//   remote       the remote-loads banner                  ← dom, format
//   annotations  a message's tags and notes               ← api, dom, format, nav, query, state, widgets
//   message      the message page                         ← annotations, api, dom, format, highlight, nav, query, remote, state, widgets
//   thread       the thread page                          ← api, dom, format, nav, query, state
//   people       the person page                          ← api, chart, dom, format, nav, query, state
//   graph        the graph page                           ← api, dom, format, nav, query, state
//   tags         the tags page                            ← api, dom, format, nav, query, state
//   notes        the notes page                           ← api, dom, format, nav, state
//   admin        users, grants, audit log                 ← api, dom, format, nav, state, widgets
//   login        the login form                           ← api, dom, state
//   layout       the shell and header, log out            ← api, dom, login, nav, state
//   router       the page of each route                   ← admin, api, dom, graph, layout, message, nav, notes, people, search, state, tags, thread
//   keyboard     the shortcuts                            ← nav, search, state
//   main         boot                                     ← api, keyboard, layout, login, nav, router, state
// Three calls go back up the list; main.js installs them as hooks: api's 401 → login
// (onUnauthorized), login's success → start (onLogin), nav's route() → the router (setRouter).

import { api, onUnauthorized } from './api.js';
import { bindKeys } from './keyboard.js';
import { renderShell } from './layout.js';
import { onLogin, renderLogin } from './login.js';
import { link, route, setRouter } from './nav.js';
import { renderRoute } from './router.js';
import { S } from './state.js';

setRouter(renderRoute);
onUnauthorized(renderLogin);

function start() {
  renderShell();
  if (!location.hash || location.hash === '#' || location.hash === '#/') {
    history.replaceState(null, '', link('search'));
  }
  route();
}

onLogin(start);
bindKeys();

window.addEventListener('hashchange', () => { if (S.session) route(); });

(async () => {
  try {
    S.session = await api('/api/session', { quiet: true });
    start();
  } catch (e) {
    renderLogin(e.status === 401 ? '' : e.message);
  }
})();
