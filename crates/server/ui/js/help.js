// The query language help: docs/query-language.md rendered by a small markdown reader that
// only makes text nodes. Clicking an example puts it in the query box.

import { api } from './api.js';
import { clear, el } from './dom.js';
import { S } from './state.js';

export async function fillHelp(box, input) {
  try {
    if (S.help === null) S.help = await api('/api/help');
    clear(box, markdown(String(S.help), (code) => {
      input.value = `${input.value.trim()} ${code}`.trim();
      input.focus();
    }));
  } catch (e) {
    clear(box, el('p', { class: 'bad' }, `The help could not be loaded: ${e.message}`));
  }
}

function inline(text, onCode) {
  const out = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\([^)]*\)/g;
  let pos = 0;
  for (const m of text.matchAll(re)) {
    out.push(text.slice(pos, m.index));
    if (m[1] !== undefined) {
      const code = m[1].replace(/\\\|/g, '|');
      out.push(el('code', { class: onCode ? 'example' : null, title: onCode ? 'Add to the query' : null, onclick: onCode ? () => onCode(code) : null }, code));
    } else if (m[2] !== undefined) out.push(el('strong', null, m[2]));
    else out.push(m[3]);
    pos = m.index + m[0].length;
  }
  out.push(text.slice(pos));
  return out;
}

function markdown(src, onCode) {
  const lines = src.replace(/\r\n/g, '\n').split('\n');
  const out = [];
  let i = 0;
  const cells = (l) => l.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());
  while (i < lines.length) {
    const l = lines[i];
    if (/^```/.test(l)) {
      const code = [];
      i += 1;
      while (i < lines.length && !/^```/.test(lines[i])) { code.push(lines[i]); i += 1; }
      i += 1;
      out.push(el('pre', null, code.join('\n')));
    } else if (/^#{1,6} /.test(l)) {
      const n = l.match(/^#+/)[0].length;
      out.push(el(`h${Math.min(6, n + 2)}`, null, inline(l.slice(n + 1), onCode)));
      i += 1;
    } else if (/^\|/.test(l)) {
      const rows = [];
      while (i < lines.length && /^\|/.test(lines[i])) { rows.push(lines[i]); i += 1; }
      const head = cells(rows[0]);
      const bodyRows = rows.slice(1).filter((r) => !/^\|[\s|:-]+\|$/.test(r.trim()));
      out.push(el('table', { class: 'md' },
        el('thead', null, el('tr', null, head.map((c) => el('th', null, inline(c, onCode))))),
        el('tbody', null, bodyRows.map((r) => el('tr', null, cells(r).map((c) => el('td', null, inline(c, onCode))))))));
    } else if (/^\s*[-*] /.test(l)) {
      const items = [];
      while (i < lines.length && (/^\s*[-*] /.test(lines[i]) || (/^\s{2,}\S/.test(lines[i]) && items.length))) {
        if (/^\s*[-*] /.test(lines[i])) items.push(lines[i].replace(/^\s*[-*] /, ''));
        else items[items.length - 1] += ` ${lines[i].trim()}`;
        i += 1;
      }
      out.push(el('ul', null, items.map((t) => el('li', null, inline(t, onCode)))));
    } else if (l.trim() === '') {
      i += 1;
    } else {
      const para = [];
      while (i < lines.length && lines[i].trim() !== '' && !/^(```|#|\||\s*[-*] )/.test(lines[i])) { para.push(lines[i]); i += 1; }
      out.push(el('p', null, inline(para.join(' '), onCode)));
    }
  }
  return out;
}
