// Who sees what: grants decide the cases, roles decide tagging, exports and administration.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, launch, login, makeCase, newPage, serve, settled, shot, tmpdir } from '../lib.mjs';

let dir; let server; let browser; let otherItem;

before(async () => {
  dir = tmpdir('access');
  const caso = makeCase(dir, 'caso', { messages: 120, seed: 5 });
  const secreto = makeCase(dir, 'secreto', { messages: 60, seed: 9, source: 'PEMEX' });
  const data = path.join(dir, 'srv');
  addUser(data, 'jefa', 'admin');
  addUser(data, 'ana', 'reporter', ['caso', 'secreto']);
  addUser(data, 'vic', 'viewer', ['caso']);
  server = await serve([caso, secreto], data);
  browser = await launch();
  // An item of the case the viewer may not see.
  const { page } = await newPage(browser);
  await login(page, server.url, 'ana');
  const r = await page.evaluate(async () => (await fetch('/api/cases/secreto/search?q=*&limit=1')).json());
  otherItem = r.hits[0].item;
  await page.context().close();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function as(user) {
  const { page, seen } = await newPage(browser);
  page.setDefaultTimeout(10_000);
  await login(page, server.url, user);
  await settled(page);
  return { page, seen };
}

const call = (page, method, url, body) => page.evaluate(async ([m, u, b]) => {
  const s = await (await fetch('/api/session')).json();
  const r = await fetch(u, { method: m, headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf }, body: b ? JSON.stringify(b) : undefined });
  return r.status;
}, [method, url, body]);

describe('access', () => {
  it('a viewer sees only the granted case, and reading another is refused', async () => {
    const { page } = await as('vic');
    assert.deepEqual(await page.$$eval('#case-chooser option', (o) => o.map((x) => x.value)), ['caso']);
    await page.goto(`${server.url}/#/item/${otherItem}?case=secreto`);
    await page.waitForSelector('.error-page');
    assert.match(await page.getAttribute('.error-page', 'data-status'), /^(403|404)$/);
    assert.equal(await page.$('#msg-subject'), null);
    await page.goto(`${server.url}/#/search?q=*&case=secreto`);
    await page.waitForSelector('.error-page');
    assert.match(await page.getAttribute('.error-page', 'data-status'), /^(403|404)$/);
    assert.equal(await call(page, 'GET', `/api/cases/secreto/items/${otherItem}`), 404);
    await page.context().close();
  });

  it('a viewer reads but cannot tag, annotate or export', async () => {
    const { page } = await as('vic');
    await page.goto(`${server.url}/#/search?q=*&case=caso`);
    await page.waitForSelector('#results');
    await settled(page);
    assert.equal(await page.$('[data-export]'), null, 'export links shown to a viewer');
    const item = await page.getAttribute('#results > li.hit', 'data-item');
    await page.goto(`${server.url}/#/item/${item}?case=caso`);
    await page.waitForSelector('#msg-subject');
    await settled(page);
    assert.equal(await page.$('#tag-form'), null, 'tag form shown to a viewer');
    assert.equal(await page.$('#note-form'), null, 'note form shown to a viewer');
    assert.equal(await call(page, 'POST', `/api/cases/caso/items/${item}/tags`, { tag: 'x' }), 403);
    assert.equal(await call(page, 'POST', `/api/cases/caso/items/${item}/notes`, { text: 'x' }), 403);
    assert.equal(await call(page, 'GET', '/api/cases/caso/export?q=*'), 403);
    await page.context().close();
  });

  it('a reporter has no admin pages', async () => {
    const { page } = await as('ana');
    assert.equal(await page.$('#top nav a[data-nav=admin]'), null);
    assert.deepEqual(await page.$$eval('#case-chooser option', (o) => o.map((x) => x.value)), ['caso', 'secreto']);
    await page.goto(`${server.url}/#/admin`);
    await page.waitForSelector('.error-page');
    assert.equal(await page.getAttribute('.error-page', 'data-status'), '403');
    assert.equal(await page.$('#users'), null);
    assert.equal(await call(page, 'GET', '/api/admin/users'), 403);
    assert.equal(await call(page, 'GET', '/api/admin/audit'), 403);
    await page.context().close();
  });

  it('an admin manages accounts and grants and reads the audit log', async () => {
    const { page, seen } = await as('jefa');
    // Each change is confirmed (a toast) once the server took it, and the page is drawn again.
    const done = async (text) => {
      await page.waitForSelector(`#toasts .toast:text-is("${text}")`);
      await settled(page);
    };
    assert.ok(await page.$('#top nav a[data-nav=admin]'));
    await page.click('#top nav a[data-nav=admin]');
    await page.waitForSelector('#users');
    await settled(page);
    const users = await page.$$eval('#users tbody tr', (r) => r.map((x) => x.dataset.user));
    assert.deepEqual(users, ['ana', 'jefa', 'vic']);
    // Create an account, grant it a case, make it a viewer, disable it.
    await page.fill('#create-user input[name=name]', 'nuevo');
    await page.fill('#create-user input[name=password]', 'una-clave-larga');
    await page.selectOption('#create-user select[name=role]', 'reporter');
    await page.click('#create-user button[type=submit]');
    await done('User nuevo created');
    await page.waitForSelector('#users tr[data-user=nuevo]');
    await page.check('#users tr[data-user=nuevo] input[data-grant=secreto]');
    await done('nuevo: granted secreto');
    await page.selectOption('#users tr[data-user=nuevo] select.role-select', 'viewer');
    await done('nuevo: role viewer');
    const list = await page.evaluate(async () => (await fetch('/api/admin/users')).json());
    const nuevo = list.find((u) => u.name === 'nuevo');
    assert.equal(nuevo.role, 'viewer');
    assert.deepEqual(nuevo.grants, ['secreto']);
    await shot(page, 'admin-users');
    await page.click('#users tr[data-user=nuevo] td:nth-child(3) button');
    await done('nuevo: disabled');
    await page.waitForSelector('#users tr[data-user=nuevo].disabled');
    // The audit log: everything above, filterable, exportable.
    await page.click('#admin-audit-tab');
    await page.waitForSelector('#audit');
    await settled(page);
    const actions = await page.$$eval('#audit tbody tr td:nth-child(5)', (t) => t.map((x) => x.textContent));
    for (const a of ['user-create', 'grant', 'user-update', 'login']) assert.ok(actions.includes(a), `audit has ${a}`);
    await page.fill('#audit-filters input[name=user]', 'vic');
    await page.click('#audit-filters button[type=submit]');
    await page.waitForFunction(() => new URLSearchParams(location.hash.split('?')[1]).get('user') === 'vic' && document.getElementById('main').dataset.rendered === location.hash);
    const who = await page.$$eval('#audit tbody tr td:nth-child(3)', (t) => [...new Set(t.map((x) => x.textContent))]);
    assert.deepEqual(who, ['vic']);
    const vicActions = await page.$$eval('#audit tbody tr td:nth-child(5)', (t) => t.map((x) => x.textContent));
    assert.ok(vicActions.includes('view') && vicActions.includes('search'), `vic's reading is audited: ${vicActions}`);
    await page.fill('#audit-filters input[name=user]', '');
    await page.click('#audit-filters button[type=submit]');
    await page.waitForFunction(() => !new URLSearchParams(location.hash.split('?')[1]).get('user') && document.getElementById('main').dataset.rendered === location.hash);
    await shot(page, 'admin-audit');
    await page.fill('#audit-filters input[name=user]', 'vic');
    await page.click('#audit-filters button[type=submit]');
    await page.waitForFunction(() => new URLSearchParams(location.hash.split('?')[1]).get('user') === 'vic' && document.getElementById('main').dataset.rendered === location.hash);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#audit-csv')]);
    const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'id,at,user,case,action,detail,ip');
    assert.ok(csv.length > 2 && csv.slice(1).every((l) => l.split(',')[2] === '"vic"'), 'CSV rows of vic only');
    // The viewer's refused attempts (another case: 404; tagging, notes, export: 403) are in the log as denied.
    // The reporter's call to the admin API was refused too.
    await page.fill('#audit-filters input[name=user]', '');
    await page.selectOption('#audit-filters select[name=action]', 'denied');
    await page.click('#audit-filters button[type=submit]');
    await page.waitForFunction(() => {
      const p = new URLSearchParams(location.hash.split('?')[1]);
      return p.get('action') === 'denied' && !p.get('user') && document.getElementById('main').dataset.rendered === location.hash;
    });
    assert.equal(await page.$eval('#audit-filters select[name=action]', (s) => s.value), 'denied');
    const denied = await page.$$eval('#audit tbody tr', (r) => r.map((x) => [...x.children].map((td) => td.textContent)));
    assert.deepEqual([...new Set(denied.map((r) => r[4]))], ['denied']);
    assert.deepEqual([...new Set(denied.map((r) => r[2]))].sort(), ['ana', 'vic'], 'who was refused');
    const vic = denied.filter((r) => r[2] === 'vic');
    assert.ok(vic.some((r) => r[3] === 'secreto' && r[5].includes('secreto')), `the viewer's attempt on an ungranted case: ${JSON.stringify(vic)}`);
    assert.ok(vic.filter((r) => r[5].includes('"needs"')).length >= 3, `the viewer's tag, note and export attempts: ${JSON.stringify(vic)}`);
    assert.ok(denied.some((r) => r[2] === 'ana' && r[5].includes('"admin"')), `the reporter's attempt on the admin API: ${JSON.stringify(denied)}`);
    assert.ok(await page.$('#audit tbody tr.a-denied .badge.risk'), 'a refusal stands out');
    for (const a of ['notes', 'view-document-text']) assert.ok(await page.$(`#audit-filters select[name=action] option[value="${a}"]`), `the filter offers ${a}`);
    assert.deepEqual(seen.dialogs, []);
    assert.deepEqual(seen.errors, []);
    await page.context().close();
  });

  it('logging out ends the session', async () => {
    const { page } = await as('ana');
    await page.click('#logout');
    await page.waitForSelector('#login-user');
    assert.equal(await page.evaluate(async () => (await fetch('/api/session')).status), 401);
    await page.goto(`${server.url}/#/search?q=*&case=caso`);
    await page.waitForSelector('#login-user');
    await page.context().close();
  });
});
