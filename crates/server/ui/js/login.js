// The login form. A login that succeeds calls what main.js installed (onLogin): the app starts.

import { api } from './api.js';
import { clear, el } from './dom.js';
import { pickCase, S } from './state.js';

/** What a login that succeeds does (main.js installs it: start the app). */
let loggedIn = () => {};

export function onLogin(fn) {
  loggedIn = fn;
}

export function renderLogin(message) {
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
        loggedIn();
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
