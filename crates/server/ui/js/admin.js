// The admin pages (administrators only): users and grants, the audit log.

import { api, ApiError, qs } from './api.js';
import { el, enc } from './dom.js';
import { fmtStamp } from './format.js';
import { go, link, route } from './nav.js';
import { isAdmin, S } from './state.js';
import { notice } from './widgets.js';

export async function pageAdmin(parts, params, seq) {
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
