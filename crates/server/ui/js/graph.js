// The graph page: who wrote to whom, laid out force-directed and drawn as SVG; the links as a table.

import { api, casePath, qs } from './api.js';
import { add, el, enc } from './dom.js';
import { num, plural } from './format.js';
import { go, link } from './nav.js';
import { quoteValue } from './query.js';
import { S } from './state.js';

const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#9333ea', '#ea580c'];

function domainColor(addr) {
  const d = addr.split('@')[1] || addr;
  let h = 0;
  for (const c of d) h = (h * 31 + c.codePointAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

/** A force-directed layout (spring edges, node repulsion, gravity), computed before drawing. */
function layout(nodes, edges, W, H) {
  const n = nodes.length;
  const pos = nodes.map((_, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, n);
    return { x: W / 2 + (W / 3) * Math.cos(a), y: H / 2 + (H / 3) * Math.sin(a), vx: 0, vy: 0 };
  });
  const index = new Map(nodes.map((nd, i) => [nd.value, i]));
  const links = edges.map((e) => [index.get(e.from), index.get(e.to), e.count]).filter(([a, b]) => a !== undefined && b !== undefined);
  const k = Math.sqrt((W * H) / Math.max(1, n)) * 0.6;
  for (let step = 0; step < 300; step += 1) {
    const t = 1 - step / 300;
    for (let i = 0; i < n; i += 1) {
      for (let j = i + 1; j < n; j += 1) {
        let dx = pos[i].x - pos[j].x;
        let dy = pos[i].y - pos[j].y;
        let d2 = dx * dx + dy * dy;
        if (d2 < 0.01) { dx = Math.random() - 0.5; dy = Math.random() - 0.5; d2 = 0.5; }
        const f = (k * k) / d2;
        pos[i].vx += dx * f * 0.05; pos[i].vy += dy * f * 0.05;
        pos[j].vx -= dx * f * 0.05; pos[j].vy -= dy * f * 0.05;
      }
    }
    for (const [a, b] of links) {
      const dx = pos[b].x - pos[a].x;
      const dy = pos[b].y - pos[a].y;
      const d = Math.sqrt(dx * dx + dy * dy) || 1;
      const f = ((d - k) / d) * 0.05;
      pos[a].vx += dx * f; pos[a].vy += dy * f;
      pos[b].vx -= dx * f; pos[b].vy -= dy * f;
    }
    for (const p of pos) {
      p.vx += (W / 2 - p.x) * 0.01;
      p.vy += (H / 2 - p.y) * 0.01;
      const v = Math.sqrt(p.vx * p.vx + p.vy * p.vy);
      const cap = 20 * t + 1;
      if (v > cap) { p.vx = (p.vx / v) * cap; p.vy = (p.vy / v) * cap; }
      p.x = Math.min(W - 40, Math.max(40, p.x + p.vx));
      p.y = Math.min(H - 20, Math.max(20, p.y + p.vy));
      p.vx *= 0.5; p.vy *= 0.5;
    }
  }
  return { pos, links };
}

export async function pageGraph(_parts, params, seq) {
  const q = params.get('q') || '';
  const nodes = Number(params.get('nodes')) || 40;
  const input = el('input', { id: 'graph-q', type: 'search', value: q, placeholder: 'Query (empty: the whole case)', 'aria-label': 'Query' });
  const size = el('select', { 'aria-label': 'Addresses' }, [20, 40, 80, 150].map((n) => el('option', { value: String(n), selected: n === nodes }, `${n} addresses`)));
  const form = el('form', {
    class: 'querybar',
    onsubmit: (ev) => { ev.preventDefault(); go(link('graph', { q: input.value.trim(), nodes: size.value })); },
  }, input, size, el('button', { type: 'submit', class: 'primary' }, 'Draw'));
  const g = await api(casePath('graph') + qs({ q, nodes }));
  if (seq !== S.seq) return null;
  const root = el('section', { class: 'graph' },
    el('div', { class: 'toolbar' }, el('a', { class: 'btn', href: link('search', { q }) }, '← Search this query')),
    el('h1', null, 'Who wrote to whom'), form,
    el('p', { class: 'muted' }, `${plural(g.messages, 'message')} · ${plural(g.nodes.length, 'address', 'addresses')} · ${plural(g.edges.length, 'link')}. Click an address for its page; hover to see its links.`));
  if (!g.nodes.length) return add(root, el('div', { class: 'empty' }, 'No mail between addresses for this query.'));
  const W = 1300;
  const H = 600;
  const { pos, links } = layout(g.nodes, g.edges, W, H);
  const maxN = Math.max(...g.nodes.map((n) => n.count), 1);
  const maxE = Math.max(...g.edges.map((e) => e.count), 1);
  const svg = el('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'graph-svg', id: 'graph-svg', role: 'img', 'aria-label': 'Correspondence graph' },
    el('svg:defs', null, el('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
      el('svg:path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))));
  const radius = (c) => 5 + 16 * Math.sqrt(c / maxN);
  const edgeEls = links.map(([a, b, count]) => {
    const dx = pos[b].x - pos[a].x;
    const dy = pos[b].y - pos[a].y;
    const d = Math.sqrt(dx * dx + dy * dy) || 1;
    const rb = radius(g.nodes[b].count) + 2;
    const line = el('svg:line', {
      x1: pos[a].x.toFixed(1), y1: pos[a].y.toFixed(1),
      x2: (pos[b].x - (dx / d) * rb).toFixed(1), y2: (pos[b].y - (dy / d) * rb).toFixed(1),
      class: 'edge', 'marker-end': 'url(#arrow)', dataset: { from: String(a), to: String(b) },
    }, el('svg:title', null, `${g.nodes[a].value} → ${g.nodes[b].value}: ${plural(count, 'message')}`));
    line.style.strokeWidth = String(0.6 + 4 * Math.sqrt(count / maxE));
    return line;
  });
  add(svg, el('svg:g', { class: 'edges' }, edgeEls));
  const nodeG = el('svg:g', { class: 'nodes' });
  g.nodes.forEach((n, i) => {
    const r = radius(n.count);
    const c = el('svg:circle', { cx: pos[i].x.toFixed(1), cy: pos[i].y.toFixed(1), r: r.toFixed(1), class: 'node' });
    c.style.fill = domainColor(n.value);
    const a = el('svg:a', { href: link(`person/${enc(n.value)}`), class: 'node-a', dataset: { address: n.value, i: String(i) } },
      el('svg:title', null, `${n.value}: ${plural(n.count, 'message')}`),
      c,
      el('svg:text', { x: (pos[i].x + r + 3).toFixed(1), y: (pos[i].y + 4).toFixed(1), class: 'label' }, n.value.split('@')[0]));
    a.addEventListener('mouseenter', () => {
      svg.classList.add('focus');
      for (const e of edgeEls) if (e.dataset.from === String(i) || e.dataset.to === String(i)) e.classList.add('hot');
      a.classList.add('hot');
    });
    a.addEventListener('mouseleave', () => {
      svg.classList.remove('focus');
      for (const e of edgeEls) e.classList.remove('hot');
      a.classList.remove('hot');
    });
    add(nodeG, a);
  });
  add(svg, nodeG);
  const domains = [...new Set(g.nodes.map((n) => n.value.split('@')[1] || n.value))].slice(0, 12);
  add(root,
    el('div', { class: 'card graph-card' }, svg,
      el('div', { class: 'legend' }, domains.map((d) => {
        const sw = el('span', { class: 'swatch' });
        sw.style.background = domainColor(`x@${d}`);
        return el('span', { class: 'legend-item' }, sw, d);
      }))),
    el('details', { class: 'card' }, el('summary', null, 'Links as a table'),
      el('table', { class: 'grid' },
        el('thead', null, el('tr', null, ['From', 'To', 'Messages', ''].map((t) => el('th', null, t)))),
        el('tbody', null, g.edges.map((e) => el('tr', null,
          el('td', null, el('a', { href: link(`person/${enc(e.from)}`) }, e.from)),
          el('td', null, el('a', { href: link(`person/${enc(e.to)}`) }, e.to)),
          el('td', { class: 'num' }, num(e.count)),
          el('td', null, el('a', { href: link('search', { q: `${q ? `(${q}) ` : ''}from:${quoteValue(e.from)} to:${quoteValue(e.to)}`.trim() }) }, 'messages'))))))));
  return root;
}
