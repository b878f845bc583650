// What the bar charts share (search histogram, a person's mail per month): periods and the year axis.

import { el } from './dom.js';

export function monthsBetween(a, b) {
  const out = [];
  let [y, m] = a.split('-').map(Number);
  const [y2, m2] = b.split('-').map(Number);
  while (y < y2 || (y === y2 && m <= m2)) {
    out.push(`${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`);
    m += 1;
    if (m > 12) { m = 1; y += 1; }
  }
  return out;
}

/** Year labels under month (or year) bars: at each January, and at the start when no January is near. */
export function axis(bars, bw, y) {
  const out = [];
  const yearly = !bars[0].value.includes('-');
  const step = yearly ? Math.max(1, Math.ceil(bars.length / 25)) : Math.max(1, Math.ceil(bars.length / 12 / 25));
  bars.forEach((b, i) => {
    const year = Number(b.value.slice(0, 4));
    const start = yearly || b.value.endsWith('-01');
    const first = i === 0 && !start && !bars.slice(1, 7).some((x) => x.value.endsWith('-01'));
    if ((start && year % step === 0) || first) out.push(el('svg:text', { x: (i * bw + 1).toFixed(1), y, class: 'axis' }, String(year)));
  });
  return out;
}
