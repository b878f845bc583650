// fetch of the JSON API: JSON in and out, the CSRF token on every write, typed errors
// (ApiError). A 401 ends the session: the handler main.js installs (onUnauthorized) shows the login.

import { enc } from './dom.js';
import { S } from './state.js';

/** What a 401 does (main.js installs it: the login form); api.js cannot import login.js without a cycle. */
let unauthorized = () => {};

export function onUnauthorized(fn) {
  unauthorized = fn;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function api(path, opts = {}) {
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
    unauthorized('Your session has ended. Log in again.');
  }
  if (!r.ok) throw new ApiError(r.status, data && typeof data === 'object' ? data : { error: data || r.statusText });
  return data;
}

/** `/api/cases/{case}/…` with every segment encoded. */
export function casePath(...segments) {
  return `/api/cases/${enc(S.case)}/${segments.map((s) => enc(String(s))).join('/')}`;
}

export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}
