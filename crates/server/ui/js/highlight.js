// Marks in text: byte ranges from the server (snippets) and the query's words (bodies). Text
// nodes and <mark> elements only, never markup from data.

import { el } from './dom.js';
import { terms } from './query.js';

/** Maps UTF-8 byte offsets of `text` to JS string indices (undefined inside a character). */
export function byteIndex(text) {
  const map = new Map();
  let b = 0;
  let i = 0;
  for (const ch of text) {
    map.set(b, i);
    const cp = ch.codePointAt(0);
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += ch.length;
  }
  map.set(b, i);
  return (off) => map.get(off);
}

/** Text with byte ranges marked: text nodes and <mark> elements, never markup from data. */
export function marked(text, ranges, cls) {
  const out = [];
  if (!text) return out;
  const at = byteIndex(text);
  let pos = 0;
  for (const [s, e] of [...(ranges || [])].sort((a, b) => a[0] - b[0])) {
    const si = at(s);
    const ei = at(e);
    if (si === undefined || ei === undefined || si < pos || ei <= si) continue;
    out.push(text.slice(pos, si), el('mark', { class: cls }, text.slice(si, ei)));
    pos = ei;
  }
  out.push(text.slice(pos));
  return out;
}

/** Plain words of a query (no fields, operators or wildcards), folded: to mark them in a body. */
export function queryWords(q) {
  if (!q) return [];
  const out = [];
  for (const t of terms(q)) {
    const text = t.text.replace(/^[+!-]/, '');
    if (/^[\p{L}\p{N}_]+:/u.test(text) || /^(AND|OR|NOT)$/.test(text) || /[*?~^]/.test(text)) continue;
    for (const w of text.replace(/["()]/g, ' ').split(/\s+/)) {
      const f = fold(w);
      if (f.length >= 3) out.push(f);
    }
  }
  return [...new Set(out)];
}

/** Lower case without accents, one UTF-16 unit for one (so indices match the original). */
function fold(text) {
  let out = '';
  for (const ch of text) {
    const f = ch.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
    out += f.length === ch.length ? f : ch;
  }
  return out;
}

/** Text with the query's words (and words starting with their stem) marked. */
export function markWords(text, words) {
  if (!words.length) return [text];
  const folded = fold(text);
  const stems = words.map((w) => (w.length > 5 ? w.slice(0, w.length - 2) : w)).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${stems.join('|')})[\\p{L}\\p{N}]*`, 'gu');
  const out = [];
  let pos = 0;
  for (const m of folded.matchAll(re)) {
    out.push(text.slice(pos, m.index), el('mark', { class: 'term' }, text.slice(m.index, m.index + m[0].length)));
    pos = m.index + m[0].length;
  }
  out.push(text.slice(pos));
  return out;
}
