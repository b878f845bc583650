// Numbers, dates, sizes and plurals as the UI shows them.

const NUM = new Intl.NumberFormat('en-US');
export const num = (n) => NUM.format(n ?? 0);

/** A unix time as `YYYY-MM-DD HH:MM` (UTC: evidence is compared across time zones). */
export function fmtDate(t, withTime = true) {
  if (t === null || t === undefined) return '—';
  const d = new Date(t * 1000);
  if (Number.isNaN(d.getTime())) return '—';
  const s = d.toISOString();
  return withTime ? `${s.slice(0, 10)} ${s.slice(11, 16)}` : s.slice(0, 10);
}

export function fmtStamp(s) {
  return s ? String(s).replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}

export function fmtSize(n) {
  if (n === null || n === undefined) return '—';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i += 1; }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${u[i]}`;
}

export function plural(n, one, many) {
  return `${num(n)} ${n === 1 ? one : many || `${one}s`}`;
}
