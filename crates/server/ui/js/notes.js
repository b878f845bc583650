// The notes page: the team's notes in the case, newest first, by author, a page at a time.

import { api, casePath, qs } from './api.js';
import { el } from './dom.js';
import { fmtStamp } from './format.js';
import { go, link } from './nav.js';
import { S } from './state.js';

const NOTES_PAGE = 50;

export async function pageNotes(_parts, params, seq) {
  const author = (params.get('author') || '').trim();
  const before = params.get('before') || '';
  const notes = await api(casePath('notes') + qs({ author, before, limit: NOTES_PAGE }));
  if (seq !== S.seq) return null;
  const authors = [...new Set(notes.map((n) => n.author).filter(Boolean))].sort();
  const input = el('input', { name: 'author', id: 'notes-author', value: author, placeholder: 'author (user name)', 'aria-label': 'Author', list: 'notes-authors', autocomplete: 'off' });
  const form = el('form', {
    class: 'inline-form', id: 'notes-filter',
    onsubmit: (ev) => { ev.preventDefault(); go(link('notes', { author: input.value.trim() })); },
  }, input, el('datalist', { id: 'notes-authors' }, authors.map((a) => el('option', { value: a }))),
  el('button', { type: 'submit', class: 'btn primary' }, 'Filter'),
  author ? el('a', { class: 'btn', href: link('notes'), id: 'notes-all' }, 'Everyone') : null);
  const older = notes.length >= NOTES_PAGE ? el('a', { class: 'btn', id: 'notes-older', href: link('notes', { author, before: notes[notes.length - 1].id }) }, 'Older →') : null;
  return el('section', { class: 'case-notes' },
    el('h1', null, 'Notes'),
    el('p', { class: 'muted' }, `The team's notes in case ${S.case}, newest first${author ? `, by ${author}` : ''}${before ? ', older page' : ''}.`),
    el('section', { class: 'card' }, form),
    notes.length
      ? el('ol', { class: 'notes notes-page', id: 'case-notes' }, notes.map((n) => el('li', { class: 'note', dataset: { id: String(n.id) } },
        el('div', { class: 'note-meta' },
          n.author ? el('a', { class: 'note-author', href: link('notes', { author: n.author }), title: `Notes by ${n.author}` }, el('strong', null, n.author)) : el('strong', null, '?'),
          ' · ', el('span', { class: 'note-at' }, fmtStamp(n.at)), ' · on ',
          n.item !== null && n.item !== undefined
            ? el('a', { class: 'note-msg', href: link(`item/${n.item}`) }, n.subject || '(no subject)')
            : el('span', { class: 'muted' }, 'a message no longer in the case')),
        el('div', { class: 'note-text' }, n.text))))
      : el('div', { class: 'empty' }, author ? `No notes by ${author}${before ? ' before these' : ''}.` : 'No notes yet. Reporters add notes on the message page.'),
    el('nav', { class: 'pager' }, before ? el('a', { class: 'btn', id: 'notes-newest', href: link('notes', { author }) }, '« Newest') : null, older));
}
