// Hostile mail: nothing in a message may run in the browser, and nothing remote may be fetched.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HOSTILE, remoteMail, writeCorpus } from '../corpus.mjs';
import { addUser, freePort, launch, login, makeCase, newPage, serve, settled, shot, tmpdir } from '../lib.mjs';

let dir; let server; let browser; let tracker; let trackerHits = []; let trackerBase;

before(async () => {
  // A tracking server: any request to it is a leak.
  const port = await freePort();
  trackerBase = `http://127.0.0.1:${port}`;
  tracker = http.createServer((req, res) => {
    trackerHits.push(req.url);
    res.writeHead(200, { 'content-type': 'image/gif' });
    res.end(Buffer.from('R0lGODlhAQABAAAAACw=', 'base64'));
  });
  await new Promise((r) => tracker.listen(port, '127.0.0.1', r));
  dir = tmpdir('hostile');
  const mails = path.join(dir, 'mails');
  writeCorpus(mails, [...HOSTILE, remoteMail(trackerBase)]);
  const caso = makeCase(dir, 'hostil', { messages: 0, inputs: [mails], source: 'HOSTIL' });
  const data = path.join(dir, 'srv');
  addUser(data, 'ana', 'reporter', ['hostil']);
  server = await serve([caso], data);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((r) => (tracker ? tracker.close(r) : r()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Everything that would show that something ran, or tried to. */
async function assertInert(page, seen, where) {
  await page.waitForTimeout(150);
  const pwned = await page.evaluate(() => window.__pwned);
  assert.equal(pwned, undefined, `${where}: a payload ran in the app`);
  for (const f of page.frames()) {
    const v = await f.evaluate(() => window.__pwned).catch(() => undefined);
    assert.equal(v, undefined, `${where}: a payload ran in frame ${f.url()}`);
  }
  assert.deepEqual(seen.dialogs, [], `${where}: a dialog opened`);
  assert.deepEqual(seen.errors, [], `${where}: page errors`);
  // A script or handler that reached a document would be refused by the CSP and reported.
  assert.deepEqual(seen.console.filter((c) => /Content.Security.Policy|Refused to/i.test(c)), [], `${where}: the CSP had to refuse something`);
  // The app's own DOM holds no element made from mail data.
  const injected = await page.$$eval('#main script, #main img, #main svg:not(.histo):not(.graph-svg), #main object, #main embed, #main form:not(.querybar):not(.inline-form):not(.note-form), #main [onerror], #main [onload], #main iframe:not(#mail-html)', (n) => n.map((x) => x.outerHTML.slice(0, 80)));
  assert.deepEqual(injected, [], `${where}: elements from mail data in the app`);
  const jsLinks = await page.$$eval('a[href]', (a) => a.map((x) => x.getAttribute('href')).filter((h) => /^\s*(javascript|data|vbscript):/i.test(h)));
  assert.deepEqual(jsLinks, [], `${where}: dangerous links in the app`);
}

/** The sanitised document in the frame: no active content, nothing remote. */
async function assertFrameClean(page, where) {
  const frame = await (await page.$('#mail-html')).contentFrame();
  await frame.waitForLoadState();
  const bad = await frame.$$eval('script, iframe, object, embed, form, base, meta[http-equiv], link, svg, [onload], [onerror], [onclick], [onmouseover], [ontoggle], [onfocus], [style*="expression"], [style*="javascript"]', (n) => n.map((x) => x.outerHTML.slice(0, 100)));
  assert.deepEqual(bad, [], `${where}: active content in the sanitised HTML`);
  const urls = await frame.$$eval('[href], [src], [srcset], [background], [poster], [action]', (n) => n.flatMap((x) => ['href', 'src', 'srcset', 'background', 'poster', 'action'].map((a) => x.getAttribute(a)).filter(Boolean)));
  for (const u of urls) {
    // trove's own placeholder for a blocked image is an SVG data: URL; an SVG from the mail is not allowed.
    const svg = /^data:image\/svg\+xml;base64,(.*)$/i.exec(u);
    if (svg) {
      const doc = Buffer.from(svg[1], 'base64').toString('utf8');
      assert.match(doc, /remote image blocked/, `${where}: an SVG image from the mail: ${doc.slice(0, 100)}`);
      assert.doesNotMatch(doc, /<script|\son\w+\s*=/i, `${where}: active SVG: ${doc.slice(0, 100)}`);
      continue;
    }
    assert.ok(/^(\/warn\?u=|data:image\/(png|gif|jpe?g|webp);)/i.test(u), `${where}: URL left in the HTML: ${u.slice(0, 80)}`);
  }
}

describe('hostile mail', () => {
  let page; let seen; let items;

  before(async () => {
    ({ page, seen } = await newPage(browser));
    page.setDefaultTimeout(10_000);
    await login(page, server.url, 'ana');
    const r = await page.evaluate(async () => (await fetch('/api/cases/hostil/search?q=*&limit=200')).json());
    items = new Map(r.hits.map((h) => [h.subject, h]));
    assert.equal(r.total, HOSTILE.length + 1, 'every hostile mail was ingested');
  });

  it('lists hostile subjects and senders as literal text', async () => {
    await page.goto(`${server.url}/#/search?q=*&limit=50&case=hostil`);
    await page.waitForSelector('#results');
    await settled(page);
    const subjects = await page.$$eval('#results a.subject', (a) => a.map((x) => x.textContent));
    assert.ok(subjects.some((s) => s.includes('<img src=x onerror=') && s.includes('<script>')), 'the hostile subject is shown as text');
    assert.ok(subjects.some((s) => s.startsWith('<svg/onload=') && s.includes('año fiscal')), 'the encoded hostile subject is decoded and shown as text');
    await assertInert(page, seen, 'results');
  });

  for (const mail of HOSTILE) {
    it(`opens ${mail.id} in the text and HTML views without running anything`, async () => {
      const hit = [...items.values()].find((h) => h.key && h.subject !== undefined && h.subject.includes(mail.subject.startsWith('=?') ? 'año fiscal' : mail.subject.slice(0, 12)));
      assert.ok(hit, `found ${mail.id}`);
      await page.goto(`${server.url}/#/item/${hit.item}?case=hostil&view=text`);
      await page.waitForSelector('#msg-subject');
      await settled(page);
      assert.equal(await page.textContent('#msg-subject'), hit.subject);
      const norm = (t) => t.replace(/\r\n/g, '\n').trim();
      if (mail.text && mail.html === undefined && !mail.attachments) assert.equal(norm(await page.textContent('#body-text')), norm(mail.text));
      if (mail.id === 'headers') {
        assert.match(await page.textContent('#main-headers .h-from'), /<img src=x onerror=/);
        assert.match(await page.textContent('#main-headers .h-to'), /<svg onload=/);
      }
      if (mail.id === 'spoof') {
        // The message's parsed addresses, not its header text: a name that looks like an address is not linked.
        const links = async (role) => page.$$eval(`#main-headers .h-${role} a.addr`, (a) => a.map((x) => [x.textContent, x.getAttribute('href')]));
        const person = (a) => [a, `#/person/${encodeURIComponent(a)}?case=hostil`];
        assert.deepEqual(await links('from'), [person('impostor@example.org')]);
        assert.deepEqual(await links('reply-to'), [person('buzon@example.net')]);
        assert.deepEqual(await links('to'), [person('jperez@sedena.gob.mx'), person('victima@sedena.gob.mx')]);
        assert.deepEqual(await links('cc'), [person('copia@sedena.gob.mx'), person('otro@example.org')]);
        assert.deepEqual(await page.$$eval('#main-headers .h-from .mbox-name', (n) => n.map((x) => x.textContent)), ['director@sedena.gob.mx']);
        assert.deepEqual(await page.$$eval('#main-headers .h-to .mbox-name', (n) => n.map((x) => x.textContent)), ['Pérez, Juan', 'Víctima Ñandú <script>']);
        assert.deepEqual(await page.$$eval('#main-headers .h-cc .mbox-name', (n) => n.map((x) => x.textContent)), ['<b>jefe@sedena.gob.mx</b>']);
        const api = await page.evaluate(async (u) => (await fetch(u)).json(), `/api/cases/hostil/items/${hit.item}`);
        assert.equal(await page.$$eval('#main-headers a.addr', (a) => a.length), api.addresses.filter((a) => a.address).length);
        // The impostor's page: the name it used, counted once per message.
        await page.click('#main-headers .h-from a.addr');
        await page.waitForSelector('#person-names');
        await settled(page);
        assert.equal(await page.textContent('#person-address'), 'impostor@example.org');
        assert.deepEqual(await page.$$eval('#person-names .person-name', (n) => n.map((x) => x.textContent)), ['director@sedena.gob.mx (1)']);
        await page.goBack();
        await page.waitForSelector('#msg-subject');
        await settled(page);
      }
      if (mail.id === 'plain') assert.match(await page.textContent('#body-text'), /<script>window.__pwned=31/);
      await assertInert(page, seen, `${mail.id} (text)`);
      if (await page.$('#tab-html')) {
        await page.click('#tab-html');
        await page.waitForSelector('#mail-html');
        assert.equal(await page.getAttribute('#mail-html', 'sandbox'), 'allow-popups allow-popups-to-escape-sandbox');
        await assertFrameClean(page, mail.id);
        // Click what can be clicked inside: nothing may run or navigate away.
        const frame = await (await page.$('#mail-html')).contentFrame();
        for (const a of await frame.$$('a, button')) await a.click({ timeout: 2000, noWaitAfter: true }).catch(() => {});
        await assertInert(page, seen, `${mail.id} (html)`);
      }
      if (mail.attachments) {
        const names = await page.$$eval('#attachments tbody tr:not(.att-text) td:nth-child(2)', (t) => t.map((x) => x.textContent));
        assert.ok(names.includes('<img src=x onerror=alert(33)>.html'), `attachment name shown as text: ${names}`);
        for (const href of await page.$$eval('#attachments a[download]', (a) => a.map((x) => x.getAttribute('href')))) {
          const r = await page.evaluate(async (u) => { const x = await fetch(u); return [x.headers.get('content-disposition'), x.headers.get('content-type')]; }, href);
          assert.match(r[0], /^attachment;/);
          assert.equal(r[1], 'application/octet-stream');
        }
        await assertInert(page, seen, `${mail.id} (attachments)`);
      }
    });
  }
});

describe('remote content', () => {
  it('loads nothing remote and says so', async () => {
    const { page, seen } = await newPage(browser);
    page.setDefaultTimeout(10_000);
    await login(page, server.url, 'ana');
    const r = await page.evaluate(async () => (await fetch('/api/cases/hostil/search?q=subject:boletín&limit=5')).json());
    assert.equal(r.total, 1);
    const id = r.hits[0].item;
    trackerHits = [];
    await page.goto(`${server.url}/#/item/${id}?case=hostil&view=html`);
    await page.waitForSelector('#mail-html');
    await settled(page);
    await assertFrameClean(page, 'remote');
    assert.ok(await page.isVisible('#remote-banner'));
    // Every load the HTML holds, by kind, as the server lists them; the addresses as text.
    const m = await page.evaluate(async (u) => (await fetch(u)).json(), `/api/cases/hostil/items/${id}`);
    const apiKinds = [...new Set(m.remote.map((r) => r.kind))];
    for (const k of ['link href', 'css', 'body background', 'img src', 'img srcset', 'srcset', 'source srcset', 'table background', 'td background', 'video poster', 'video src', 'audio src', 'input src']) {
      assert.ok(apiKinds.includes(k), `the server lists ${k} loads: ${apiKinds}`);
    }
    await page.click('#remote-list summary');
    const groups = await page.$$eval('#remote-list .remote-group', (g) => g.map((x) => [x.dataset.kind, [...x.querySelectorAll('li .url')].map((l) => l.textContent)]));
    const shown = new Map(groups);
    for (const k of apiKinds) {
      const want = [...new Set(m.remote.filter((r) => r.kind === k).map((r) => r.url.replace(/&amp;/g, '&')))];
      assert.deepEqual(shown.get(k)?.filter((u) => want.includes(u)), want, `${k}: ${shown.get(k)}`);
    }
    assert.deepEqual(await page.$$eval('#remote-kinds .badge', (b) => b.map((x) => x.dataset.kind)), groups.map(([k]) => k));
    const all = groups.flatMap(([, urls]) => urls);
    assert.ok(all.includes(`${trackerBase}/pixel.gif`), `blocked addresses listed: ${all}`);
    assert.ok(all.includes(`${trackerBase}/font.woff`) && all.includes(`${trackerBase}/style.css`) && all.includes(`${trackerBase}/poster.jpg`), `stylesheets, fonts, posters listed: ${all}`);
    // As the browser would have requested it (&amp; read as &), once; a //host image too.
    assert.equal(all.filter((u) => u.includes('/open.gif')).join(' '), `${trackerBase}/open.gif?u=lector&c=7`);
    assert.ok(shown.get('img src').includes(`${trackerBase.replace(/^http:/, '')}/relative.gif`), `protocol-relative image listed: ${shown.get('img src')}`);
    assert.ok(!all.some((u) => u.endsWith('/click')), 'a link is not a load');
    const total = Number(await page.getAttribute('#remote-banner', 'data-total'));
    assert.equal(total, m.remote.length, 'every load counted once (the API lists protocol-relative loads too)');
    assert.match(await page.textContent('#remote-total'), new RegExp(`^${total} remote loads blocked$`));
    assert.match(await page.textContent('#remote-banner'), /From host 127\.0\.0\.1:\d+ \(\d+\)/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'remote-content');
    await page.click('#tab-text');
    await page.click('#tab-html');
    await page.waitForTimeout(1000);
    assert.deepEqual(trackerHits, [], 'the tracking server was contacted');
    const foreign = seen.requests.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith('data:') && u !== 'about:blank');
    assert.deepEqual(foreign, [], 'requests outside trove');
    assert.deepEqual(seen.console.filter((c) => /Content.Security.Policy|Refused to/i.test(c)), [], 'the CSP had to refuse something');
    assert.deepEqual(seen.dialogs, []);
    await page.context().close();
  });
});
