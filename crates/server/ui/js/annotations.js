// A message's tags and notes: the lists and, for those who may write, the forms.

import { api, casePath } from './api.js';
import { el } from './dom.js';
import { fmtStamp, plural } from './format.js';
import { link, route } from './nav.js';
import { fieldTerm } from './query.js';
import { canWrite } from './state.js';
import { notice, section } from './widgets.js';

export function renderTags(m, id, caseTags = []) {
  const tags = m.tags || [];
  const list = el('ul', { class: 'tags', id: 'tags' }, tags.map((t) => el('li', { class: 'tag', dataset: { tag: t.tag } },
    el('a', { href: link('search', { q: fieldTerm('tag', t.tag) }), title: `${t.author || '?'}, ${fmtStamp(t.at)}` }, t.tag),
    canWrite() ? el('button', {
      type: 'button', class: 'x', title: `Remove tag ${t.tag}`, 'aria-label': `Remove tag ${t.tag}`,
      onclick: async () => {
        try {
          await api(casePath('items', id, 'tags', t.tag), { method: 'DELETE' });
          notice(`Tag ${t.tag} removed`);
          route();
        } catch (e) { notice(e.message, 'err'); }
      },
    }, '×') : null)));
  const form = canWrite() ? el('form', {
    class: 'inline-form', id: 'tag-form',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const input = ev.currentTarget.elements.tag;
      const tag = input.value.trim();
      if (!tag) return;
      try {
        await api(casePath('items', id, 'tags'), { method: 'POST', body: { tag } });
        notice(`Tagged ${tag}`);
        route();
      } catch (e) { notice(e.message, 'err'); }
    },
  }, el('input', { name: 'tag', id: 'tag-input', placeholder: 'new tag', maxlength: '64', 'aria-label': 'New tag', list: 'tag-suggestions', autocomplete: 'off' }),
  // The case's tags (most used first) that this message does not carry yet.
  el('datalist', { id: 'tag-suggestions' }, caseTags.filter((t) => !tags.some((x) => x.tag === t.tag))
    .map((t) => el('option', { value: t.tag, label: `${t.tag} (${plural(t.count, 'message')})` }))),
  el('button', { type: 'submit', class: 'btn small', id: 'tag-add' }, 'Add tag')) : null;
  return section('Tags', tags.length ? list : el('p', { class: 'muted' }, 'No tags.'), form,
    el('p', { class: 'small' }, el('a', { href: link('tags'), id: 'all-tags' }, 'All tags of the case →')));
}

export function renderNotes(m, id) {
  const notes = m.notes || [];
  const form = canWrite() ? el('form', {
    class: 'note-form', id: 'note-form',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const ta = ev.currentTarget.elements.text;
      const text = ta.value.trim();
      if (!text) return;
      try {
        await api(casePath('items', id, 'notes'), { method: 'POST', body: { text } });
        notice('Note added');
        route();
      } catch (e) { notice(e.message, 'err'); }
    },
  }, el('textarea', { name: 'text', id: 'note-input', rows: '3', placeholder: 'Add a note for the team', 'aria-label': 'New note', maxlength: '20000' }),
  el('button', { type: 'submit', class: 'btn small', id: 'note-add' }, 'Add note')) : null;
  return section('Notes',
    notes.length ? el('ol', { class: 'notes', id: 'notes' }, notes.map((n) => el('li', { class: 'note' },
      el('div', { class: 'note-meta' }, el('strong', null, n.author || '?'), ' · ', fmtStamp(n.at)),
      el('div', { class: 'note-text' }, n.text)))) : el('p', { class: 'muted' }, 'No notes.'),
    form,
    el('p', { class: 'small' }, el('a', { href: link('notes'), id: 'all-notes' }, 'All notes of the case →')));
}
