// The message page (any item): headers, body (text, or the HTML in a sandboxed iframe),
// attachments, a loose document's text, and the side boxes (flags, hashes, provenance, copies,
// items inside).

import { renderNotes, renderTags } from './annotations.js';
import { api, ApiError, casePath, qs } from './api.js';
import { add, clear, el, enc } from './dom.js';
import { fmtDate, fmtSize, num, plural } from './format.js';
import { markWords, queryWords } from './highlight.js';
import { link } from './nav.js';
import { searchLink } from './query.js';
import { remoteBanner } from './remote.js';
import { canWrite, S } from './state.js';
import { kv, section } from './widgets.js';

/**
 * Mailboxes as the server parsed them ([{name, address}]): the display name as text, the
 * address as a link to its person page. A name that looks like an address stays text: only the
 * real address is linked. Long lists show their first `max` and a button for the rest.
 */
function mailboxes(list, max = 25) {
  const one = (a) => el('span', { class: 'mbox' },
    a.name ? el('span', { class: 'mbox-name' }, a.name) : null,
    a.address
      ? [a.name ? ' <' : '', el('a', { href: link(`person/${enc(a.address)}`), class: 'addr', title: `${a.address}: their mail and correspondents` }, a.address), a.name ? '>' : '']
      : el('span', { class: 'muted' }, a.name ? ' (no address)' : '(no address)'));
  const join = (xs) => xs.map((a, i) => [i ? ', ' : '', one(a)]);
  if (list.length <= max) return join(list);
  const rest = el('span', null, ', ', el('button', {
    type: 'button', class: 'linkish more-addresses',
    onclick: () => rest.replaceWith(el('span', null, ', ', join(list.slice(max)))),
  }, `+${num(list.length - max)} more`));
  return [join(list.slice(0, max)), rest];
}

function header(m, name) {
  const h = (m.headers || []).filter((x) => x.name.toLowerCase() === name.toLowerCase());
  return h.length ? h.map((x) => x.value).join(', ') : null;
}

export async function pageMessage(parts, params, seq) {
  const id = parts[0];
  if (!/^\d+$/.test(id || '')) throw new ApiError(404, { error: `no item ${id}` });
  // The case's tags offer completions to those who may tag; they are not needed to show the page.
  const [m, caseTags] = await Promise.all([
    api(casePath('items', id)),
    canWrite() ? api(casePath('tags')).catch(() => []) : Promise.resolve([]),
  ]);
  if (seq !== S.seq) return null;
  // A loose document (an item outside any message, not a container): the text extracted from it.
  let docText = null;
  if (!m.message && m.item && m.item.sha256 && !(m.children || []).length) {
    // No text (404) is said as such; another failure is shown in place of the text, not instead of the page.
    docText = await api(casePath('items', id, 'text')).then((t) => (typeof t === 'string' ? t : JSON.stringify(t)), (e) => {
      if (e.status === 401) throw e;
      return e.status === 404 ? '' : e;
    });
    if (seq !== S.seq) return null;
  }
  const view = params.get('view') || localStorage.getItem('trove.view') || 'text';
  return renderMessage(m, id, view, { caseTags, docText });
}

function renderMessage(m, id, view, { caseTags = [], docText = null } = {}) {
  const msg = m.message;
  const item = m.item || {};
  const root = el('article', { class: 'message', dataset: { item: String(id) } });
  const subject = msg ? msg.subject || header(m, 'subject') || '(no subject)' : item.name || `item ${id}`;
  const pos = S.last ? S.last.resp.hits.findIndex((h) => String(h.item) === String(id)) : -1;
  if (pos >= 0) S.cursor = pos;

  // Toolbar.
  const nav = [];
  if (S.last) {
    nav.push(el('a', { class: 'btn', href: searchLink(S.last.params), id: 'back-results' }, '← Results'));
    const hits = S.last.resp.hits;
    if (pos > 0) nav.push(el('a', { class: 'btn', id: 'prev-msg', href: link(`item/${hits[pos - 1].item}`), title: 'Previous result (k)' }, '↑'));
    if (pos >= 0 && pos < hits.length - 1) nav.push(el('a', { class: 'btn', id: 'next-msg', href: link(`item/${hits[pos + 1].item}`), title: 'Next result (j)' }, '↓'));
    if (pos >= 0) nav.push(el('span', { class: 'muted' }, `result ${num(S.last.params.offset + pos + 1)} of ${num(S.last.resp.total)}`));
  }
  if (m.thread) nav.push(el('a', { class: 'btn', id: 'thread-link', href: link(`thread/${enc(m.thread)}`, { item: id }) }, 'Thread'));
  if (item.sha256) nav.push(el('a', { class: 'btn', id: 'download-raw', href: casePath('items', id, 'raw'), download: '' }, msg ? 'Download .eml' : 'Download'));
  add(root, el('div', { class: 'toolbar' }, nav));
  add(root, el('h1', { class: 'msg-subject', id: 'msg-subject' }, subject));

  const layout = el('div', { class: 'msg-layout' });
  const mainCol = el('div', { class: 'msg-main' });
  const side = el('aside', { class: 'msg-side' });
  add(layout, mainCol, side);
  add(root, layout);

  if (msg) {
    add(mainCol, renderHeaders(m, id), renderBody(m, id, view), renderAttachments(m, id));
    add(side, renderTags(m, id, caseTags), renderNotes(m, id));
  } else {
    add(mainCol, el('p', { class: 'muted' }, `This item is a ${item.kind || 'file'} (${item.format || 'unknown format'}${item.size !== null && item.size !== undefined ? `, ${fmtSize(item.size)}` : ''}), outcome ${item.outcome || '—'}${item.reason ? `: ${item.reason}` : ''}.`));
    if (docText !== null) add(mainCol, renderDocumentText(docText));
  }
  add(side, renderFlags(m), renderHashes(m), renderProvenance(m), renderCopies(m, id), renderChildren(m));
  return root;
}

/** The address headers shown, in this order, by their role in the message's `addresses`. */
const ADDRESS_ROLES = [['from', 'From'], ['sender', 'Sender'], ['reply-to', 'Reply-To'], ['to', 'To'], ['cc', 'Cc'], ['bcc', 'Bcc']];

function renderHeaders(m, id) {
  const msg = m.message;
  const addresses = m.addresses || [];
  const rows = ADDRESS_ROLES.map(([role, label]) => {
    const list = addresses.filter((a) => a.role === role);
    if (list.length) return [label, mailboxes(list)];
    // Nothing the parser could read as an address (a group, "undisclosed-recipients:;"…): the header as text.
    const raw = header(m, label);
    if (raw) return [label, raw];
    if (role === 'from' && (msg.from_name || msg.from_addr)) return [label, mailboxes([{ name: msg.from_name, address: msg.from_addr }])];
    return [label, null];
  });
  rows.push(
    ['Date', msg.date_raw ? `${msg.date_raw}  (${fmtDate(msg.date)} UTC)` : fmtDate(msg.date)],
    ['Message-ID', msg.message_id ? `<${msg.message_id}>` : null],
  );
  const shown = rows.filter(([, v]) => v && (!Array.isArray(v) || v.length));
  const all = el('table', { class: 'kv all-headers', hidden: true, id: 'all-headers' },
    (m.headers || []).map((h) => el('tr', null, el('th', null, h.name), el('td', null, h.value))));
  const raw = el('pre', { class: 'raw-headers', hidden: true, id: 'raw-headers' });
  const box = el('section', { class: 'headers' },
    el('table', { class: 'kv main-headers', id: 'main-headers' }, shown.map(([k, v]) => el('tr', null, el('th', null, k),
      el('td', { class: `h-${k.toLowerCase()}` }, v)))),
    el('div', { class: 'header-actions' },
      el('button', {
        type: 'button', class: 'linkish', id: 'toggle-headers',
        onclick: () => { all.hidden = !all.hidden; },
      }, `All headers (${(m.headers || []).length})`),
      el('button', {
        type: 'button', class: 'linkish', id: 'toggle-raw',
        onclick: async () => {
          raw.hidden = !raw.hidden;
          if (!raw.hidden && !raw.textContent) {
            raw.textContent = 'Loading…';
            try {
              const r = await api(casePath('items', id) + qs({ raw_headers: 'true' }));
              raw.textContent = r.raw_headers || '(none)';
            } catch (e) {
              raw.textContent = `Could not load: ${e.message}`;
            }
          }
        },
      }, 'Raw headers')),
    all, raw);
  return box;
}

function renderBody(m, id, view) {
  const box = el('section', { class: 'body' });
  const hasHtml = !!m.has_html;
  const current = hasHtml && view === 'html' ? 'html' : 'text';
  const pane = el('div', { class: 'body-pane' });
  const tabs = el('div', { class: 'tabs', role: 'tablist' });
  const show = (which) => {
    for (const b of tabs.children) b.setAttribute('aria-selected', String(b.dataset.view === which));
    if (which === 'html') {
      clear(pane, el('iframe', {
        class: 'mail-html', id: 'mail-html', title: 'The message as HTML, sanitised: no scripts, nothing remote',
        sandbox: 'allow-popups allow-popups-to-escape-sandbox', referrerpolicy: 'no-referrer',
        src: casePath('items', id, 'html'),
      }));
    } else {
      clear(pane, m.text && m.text.trim()
        ? el('pre', { class: 'body-text', id: 'body-text' }, markWords(m.text, queryWords(S.last && S.last.params.q)))
        : el('p', { class: 'muted', id: 'body-text' }, hasHtml ? 'This message has no text part; see the HTML view.' : 'This message has no body text.'));
    }
  };
  add(tabs,
    el('button', { type: 'button', role: 'tab', id: 'tab-text', dataset: { view: 'text' }, onclick: () => { localStorage.setItem('trove.view', 'text'); show('text'); } }, 'Text'),
    hasHtml ? el('button', { type: 'button', role: 'tab', id: 'tab-html', dataset: { view: 'html' }, onclick: () => { localStorage.setItem('trove.view', 'html'); show('html'); } }, 'HTML (safe view)') : null);
  const banner = remoteBanner(m);
  if (banner) add(box, banner);
  const links = m.links || [];
  add(box, tabs, pane);
  if (links.length) {
    add(box, el('details', { class: 'links' }, el('summary', null, `${plural(links.length, 'link')} in this message (opened only through a warning page)`),
      el('ul', { class: 'plain mono' }, links.map((u) => el('li', null, u)))));
  }
  show(current);
  return box;
}

function extractionSummary(x) {
  if (!x) return [el('span', { class: 'muted' }, 'not extracted')];
  const bits = [x.format, x.status];
  if (x.pages) bits.push(plural(x.pages, 'page'));
  if (x.text_len) bits.push(`${num(x.text_len)} chars of text`);
  if ((x.ocr_pending || []).length) bits.push(`${x.ocr_pending.length} pages awaiting OCR`);
  return [
    el('span', { class: 'small' }, bits.filter(Boolean).join(' · ')),
    x.reason ? el('div', { class: 'small muted' }, x.reason) : null,
    (x.flags || []).filter(Boolean).map((f) => el('span', { class: 'badge risk', title: 'Risk flag' }, f)),
    x.meta && (x.meta.author || x.meta.title) ? el('div', { class: 'small muted' }, [x.meta.title, x.meta.author].filter(Boolean).join(' — ')) : null,
  ];
}

function renderAttachments(m, id) {
  const atts = m.attachments || [];
  if (!atts.length) return null;
  const hitKeys = new Set();
  if (S.last) for (const h of S.last.resp.hits) if (String(h.item) === String(id)) for (const a of h.in_attachments || []) hitKeys.add(a.key);
  const openers = [];
  const box = el('section', { class: 'attachments', id: 'attachments' },
    el('h2', null, `Attachments (${atts.length})`),
    el('table', { class: 'grid' },
      el('thead', null, el('tr', null, ['', 'Name', 'Type', 'Size', 'Extraction', 'SHA-256', ''].map((t) => el('th', null, t)))),
      el('tbody', null, atts.map((a) => {
        const x = a.extraction;
        const textRow = el('tr', { class: 'att-text', hidden: true, dataset: { part: String(a.part) } }, el('td', { colspan: '7' }));
        const showText = async () => {
          textRow.hidden = !textRow.hidden;
          if (textRow.hidden || textRow.dataset.loaded) return;
          const cell = textRow.firstChild;
          clear(cell, el('span', { class: 'muted' }, 'Loading…'));
          try {
            const r = await api(casePath('items', id, 'attachments', a.part, 'text'));
            const text = typeof r === 'string' ? r : r && (r.text ?? JSON.stringify(r, null, 2));
            clear(cell, text && text.trim() ? el('pre', { class: 'body-text att-body' }, text.replace(/\f/g, '\n──────── page break ────────\n')) : el('span', { class: 'muted' }, 'No text was extracted from this attachment.'));
          } catch (e) {
            clear(cell, el('span', { class: 'muted' }, e.status === 404 ? 'No extracted text is available for this attachment.' : `Could not load the text: ${e.message}`));
          }
          textRow.dataset.loaded = '1';
        };
        const hasText = !x || x.text_len > 0;
        if (hitKeys.has(a.sha256) && hasText) openers.push(showText);
        return [el('tr', { class: hitKeys.has(a.sha256) ? 'matched' : null, dataset: { part: String(a.part) } },
          el('td', { class: 'muted' }, String(a.part)),
          el('td', { class: 'att-filename' }, a.is_message && a.item_id ? el('a', { href: link(`item/${a.item_id}`) }, a.name || '(attached message)') : a.name || '(unnamed)'),
          el('td', { class: 'mono small' }, a.mime),
          el('td', { class: 'num' }, fmtSize(a.size)),
          el('td', { class: 'extraction' }, a.is_message ? el('span', { class: 'muted small' }, 'a message of its own') : extractionSummary(x)),
          el('td', { class: 'mono small hash', title: a.sha256 }, a.sha256.slice(0, 12), '…'),
          el('td', { class: 'actions' },
            hasText && !a.is_message ? el('button', { type: 'button', class: 'btn small att-text-toggle', onclick: showText }, 'Text') : null,
            el('a', { class: 'btn small', href: casePath('items', id, 'attachments', a.part), download: '' }, 'Download'))),
        textRow];
      }))));
  // Attachments the search matched open with their text.
  for (const f of openers) f();
  return box;
}

/** The text extracted from a loose document, with the query's words marked; long texts in part until asked. */
function renderDocumentText(raw) {
  if (raw instanceof Error) {
    return el('section', { class: 'document', id: 'document' }, el('h2', null, 'Extracted text'), el('p', { class: 'bad' }, `The text could not be loaded: ${raw.message}`));
  }
  const LIMIT = 200_000;
  const text = raw.replace(/\f/g, '\n──────── page break ────────\n');
  const words = queryWords(S.last && S.last.params.q);
  const pre = el('pre', { class: 'body-text doc-text', id: 'doc-text' });
  const show = (all) => clear(pre, markWords(all || text.length <= LIMIT ? text : text.slice(0, LIMIT), words));
  const more = text.length > LIMIT ? el('button', {
    type: 'button', class: 'btn small', id: 'doc-text-all',
    onclick: (ev) => { show(true); ev.currentTarget.remove(); },
  }, `Show all ${num(text.length)} characters`) : null;
  if (text.trim()) show(false);
  return el('section', { class: 'document', id: 'document' },
    el('h2', null, 'Extracted text'),
    text.trim()
      ? [el('p', { class: 'small muted' }, `${num(raw.length)} characters${more ? `; the first ${num(LIMIT)} are shown` : ''}.`), pre, more]
      : el('p', { class: 'muted', id: 'doc-text-none' }, 'No text was extracted from this document.'));
}

function renderFlags(m) {
  const msg = m.message || {};
  const item = m.item || {};
  const rows = [];
  if (item.flags) rows.push(['Mailbox flags', maildirFlags(item.flags)]);
  if ((msg.problems || []).length) rows.push(['Problems', msg.problems.join(', ')]);
  if (msg.date_source && msg.date_source !== 'header') rows.push(['Date from', msg.date_source]);
  if (item.reason) rows.push(['Note', item.reason]);
  rows.push(['Outcome', item.outcome || '—']);
  if (msg.size) rows.push(['Size', fmtSize(msg.size)]);
  return section('Flags', kv(rows));
}

function maildirFlags(f) {
  const names = { S: 'seen', R: 'replied', F: 'flagged', T: 'trashed', D: 'draft', P: 'passed' };
  return `${f} (${[...f].map((c) => names[c] || c).join(', ')})`;
}

function renderHashes(m) {
  const msg = m.message || {};
  const item = m.item || {};
  const rows = [];
  if (item.sha256) rows.push(['SHA-256', el('span', { class: 'mono hash-full' }, item.sha256)]);
  if (msg.content_key) rows.push(['Content key', el('span', { class: 'mono hash-full', title: 'Links the copies of one message' }, msg.content_key)]);
  return section('Hashes', kv(rows));
}

function renderProvenance(m) {
  const item = m.item || {};
  const chain = m.provenance || [];
  return section('Provenance',
    kv([
      ['Source', item.source || '—'],
      ['Folder', item.folder || '—'],
      ['Item', `#${item.id} · ${item.kind || ''} · ${item.format || ''}`],
      item.offset !== null && item.offset !== undefined ? ['Bytes', `${num(item.offset)} + ${num(item.length)}`] : null,
    ].filter(Boolean)),
    el('ol', { class: 'chain', id: 'provenance' }, chain.map((c, i) => el('li', { class: c.id === item.id ? 'self' : null },
      el('span', { class: 'badge' }, c.format), ' ',
      el('span', { class: 'mono small' }, i === 0 ? c.locator : c.name || c.locator)))));
}

function renderCopies(m, id) {
  const copies = m.copies || [];
  if (copies.length <= 1) return section('Copies', el('p', { class: 'muted' }, 'The only copy in the case.'));
  return section(`Copies (${copies.length})`, el('ul', { class: 'copies plain', id: 'copies' }, copies.map((c) => el('li', { class: String(c.id) === String(id) ? 'self' : null },
    String(c.id) === String(id) ? el('strong', null, c.folder || '(no folder)') : el('a', { href: link(`item/${c.id}`) }, c.folder || '(no folder)'),
    el('div', { class: 'mono small muted' }, `${c.source} · ${c.outcome} · ${c.locator}`)))));
}

function renderChildren(m) {
  const kids = (m.children || []).filter((c) => c.outcome !== 'duplicate' || c.message);
  if (!kids.length) return null;
  return section(`Items inside (${kids.length})`, el('ul', { class: 'plain' }, kids.map((c) => el('li', null,
    c.message ? el('a', { href: link(`item/${c.id}`) }, c.name) : el('span', null, c.name),
    el('span', { class: 'muted small' }, ` ${c.format} · ${c.outcome}`)))));
}
