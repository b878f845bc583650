// The date histogram of the search page: months (or years over long spans) as SVG bars; drag
// across bars to filter to a range, click one bar for that period.

import { axis, monthsBetween } from './chart.js';
import { add, el } from './dom.js';
import { plural } from './format.js';
import { go } from './nav.js';
import { dateSelection, searchLink, setDate } from './query.js';

function periods(f) {
  const months = (f && f.month ? f.month : []).filter((b) => /^\d{4}-\d{2}$/.test(b.value));
  if (!months.length) return { unit: 'month', bars: [] };
  const all = monthsBetween(months[0].value, months[months.length - 1].value);
  if (all.length > 240) {
    const years = (f.year || []).filter((b) => /^\d{4}$/.test(b.value));
    const counts = new Map(years.map((b) => [b.value, b.count]));
    const ys = [];
    for (let y = Number(years[0].value); y <= Number(years[years.length - 1].value); y += 1) ys.push(String(y));
    return { unit: 'year', bars: ys.map((v) => ({ value: v, count: counts.get(v) || 0 })) };
  }
  const counts = new Map(months.map((b) => [b.value, b.count]));
  return { unit: 'month', bars: all.map((v) => ({ value: v, count: counts.get(v) || 0 })) };
}

export function renderHistogram(p, f) {
  const { unit, bars } = periods(f);
  const wrap = el('div', { class: 'histogram', id: 'histogram' });
  if (!bars.length) return wrap;
  const W = 1000;
  const H = 90;
  const pad = 16;
  const bw = W / bars.length;
  const max = Math.max(...bars.map((b) => b.count), 1);
  const svg = el('svg:svg', { viewBox: `0 0 ${W} ${H + pad}`, preserveAspectRatio: 'none', class: 'histo', role: 'img', 'aria-label': `Results per ${unit}` });
  const selected = dateSelection(p.q);
  bars.forEach((b, i) => {
    const h = b.count ? Math.max(2, (b.count / max) * (H - 4)) : 0;
    const on = selected && b.value >= selected[0].slice(0, b.value.length) && b.value <= selected[1].slice(0, b.value.length);
    add(svg, el('svg:rect', {
      x: (i * bw + bw * 0.1).toFixed(2), y: (H - h).toFixed(2), width: Math.max(0.5, bw * 0.8).toFixed(2), height: h.toFixed(2),
      class: ['bar', on && 'on'], dataset: { period: b.value, count: String(b.count) },
    }, el('svg:title', null, `${b.value}: ${plural(b.count, 'result')}`)));
  });
  add(svg, axis(bars, bw, H + pad - 3));
  const brush = el('svg:rect', { class: 'brush', x: 0, y: 0, width: 0, height: H, style: { display: 'none' } });
  add(svg, brush);
  let from = null;
  const idx = (ev) => {
    const r = svg.getBoundingClientRect();
    return Math.min(bars.length - 1, Math.max(0, Math.floor(((ev.clientX - r.left) / r.width) * bars.length)));
  };
  const draw = (a, b) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    brush.setAttribute('x', String(lo * bw));
    brush.setAttribute('width', String((hi - lo + 1) * bw));
    brush.style.display = 'inline';
  };
  svg.addEventListener('pointerdown', (ev) => {
    from = idx(ev);
    svg.setPointerCapture(ev.pointerId);
    draw(from, from);
    ev.preventDefault();
  });
  svg.addEventListener('pointermove', (ev) => { if (from !== null) draw(from, idx(ev)); });
  svg.addEventListener('pointerup', (ev) => {
    if (from === null) return;
    const to = idx(ev);
    const [lo, hi] = from <= to ? [from, to] : [to, from];
    from = null;
    const range = lo === hi ? bars[lo].value : `${bars[lo].value}..${bars[hi].value}`;
    go(searchLink({ ...p, q: setDate(p.q, range), offset: 0 }));
  });
  add(wrap,
    el('div', { class: 'histo-head' },
      el('span', null, `Results per ${unit}`),
      el('span', { class: 'muted' }, ` ${bars[0].value} – ${bars[bars.length - 1].value} · drag across bars to filter dates`),
      selected ? el('a', { class: 'chip', href: searchLink({ ...p, q: setDate(p.q, null), offset: 0 }), id: 'clear-dates' }, 'clear dates ×') : null),
    svg);
  return wrap;
}
