// The one DOM helper, el(), and its companions. Text only ever goes through text nodes (never
// innerHTML); every href/src the UI sets points at its own origin (safeUrl).

const SVGNS = 'http://www.w3.org/2000/svg';

/** Only URLs of trove's own origin: `#…`, `/…` (not `//…`), `?…`. Anything else becomes `#`. */
function safeUrl(u) {
  const s = String(u);
  return /^(#|\/(?![/\\])|\?)/.test(s) ? s : '#';
}

/**
 * The one DOM helper. `tag` may be `svg:rect` for SVG. Attributes: `class` (string or list),
 * `on<event>` (function), `style` (object, set through CSSOM), `dataset` (object), `href`/`src`
 * (own origin only), booleans (`checked`, `disabled`, `selected`, `hidden`), `value`; the rest
 * are set with setAttribute. Children: nodes, strings (as text nodes), arrays, null/false (skipped).
 */
export function el(tag, attrs, ...children) {
  const isSvg = tag.startsWith('svg:');
  const node = isSvg ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'style') Object.assign(node.style, v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'href' || k === 'src') node.setAttribute(k, safeUrl(v));
    else if (k === 'value' && !isSvg) node.value = v;
    else if (['checked', 'disabled', 'selected', 'hidden', 'multiple', 'required', 'autofocus'].includes(k)) node[k] = !!v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  add(node, children);
  return node;
}

export function add(node, ...children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren();
  return add(node, children);
}

export const enc = encodeURIComponent;
