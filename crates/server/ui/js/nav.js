// UI routes: links (`#/path?…&case=…`), reading the hash, going to a page. route() renders the
// current page again; it calls the router main.js installs (setRouter), which imports every page.

import { qs } from './api.js';
import { S } from './state.js';

/** The router (router.js, installed by main.js): nav.js cannot import it without a cycle. */
let router = () => {};

export function setRouter(fn) {
  router = fn;
}

/** Renders the page of the current hash again (after a change: a tag, a note, a grant). */
export function route() {
  return router();
}

/** A UI route (`#/path?…`) carrying the current case. */
export function link(path, params = {}) {
  return `#/${path}${qs({ ...params, case: params.case || S.case })}`;
}

export function parseHash() {
  const h = location.hash.replace(/^#\/?/, '');
  const i = h.indexOf('?');
  const path = i < 0 ? h : h.slice(0, i);
  const params = new URLSearchParams(i < 0 ? '' : h.slice(i + 1));
  const parts = path.split('/').filter((p) => p !== '').map((p) => {
    try { return decodeURIComponent(p); } catch { return p; }
  });
  return { parts, params };
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}
