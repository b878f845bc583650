// Hostile and tracking mail for the browser tests, written as .eml files.

import fs from 'node:fs';
import path from 'node:path';

function eml({ from = 'Atacante <atacante@example.org>', to = 'Víctima <victima@sedena.gob.mx>', subject, date = 'Tue, 05 Mar 2019 10:00:00 -0600', id, text, html, extraHeaders = [], attachments = [] }) {
  const boundary = `b-${id}-${Math.random().toString(16).slice(2)}`;
  const head = [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    `Date: ${date}`,
    `Message-ID: <${id}@e2e.trove>`,
    'MIME-Version: 1.0',
    ...extraHeaders,
  ];
  const parts = [];
  if (text !== undefined) parts.push(['text/plain; charset=utf-8', text]);
  if (html !== undefined) parts.push(['text/html; charset=utf-8', html]);
  let body;
  if (parts.length === 1 && !attachments.length) {
    head.push(`Content-Type: ${parts[0][0]}`, 'Content-Transfer-Encoding: 8bit');
    body = parts[0][1];
  } else {
    head.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
    const chunks = [];
    for (const [ct, content] of parts) chunks.push(`--${boundary}\r\nContent-Type: ${ct}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${content}\r\n`);
    for (const a of attachments) {
      chunks.push(`--${boundary}\r\nContent-Type: ${a.type}; name="${a.name}"\r\nContent-Disposition: attachment; filename="${a.name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(a.content).toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`);
    }
    chunks.push(`--${boundary}--\r\n`);
    body = chunks.join('');
  }
  return `${head.join('\r\n')}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}`;
}

/** Every payload sets `__pwned` and/or raises a dialog if it ever runs. */
const P = (n) => `window.__pwned=${n};try{top.__pwned=${n}}catch(e){};alert(${n})`;

export const HOSTILE = [
  { id: 'script', subject: 'Prueba script', html: `<p>Hola</p><script>${P(1)}</script><p>Adiós</p>` },
  { id: 'handlers', subject: 'Prueba handlers', html: `<body onload="${P(2)}"><img src="x" onerror="${P(3)}"><p onmouseover="${P(4)}">pasa el ratón</p><details open ontoggle="${P(5)}"><summary>s</summary></details></body>` },
  { id: 'jsurl', subject: 'Prueba javascript: URL', html: `<a id="l1" href="javascript:${P(6)}">enlace</a> <a href="JaVaScRiPt:${P(7)}">otro</a> <a href="&#106;avascript:${P(8)}">codificado</a>` },
  { id: 'css', subject: 'Prueba CSS', html: `<div style="background:url(javascript:${P(9)});width:expression(${P(10)})">css</div><style>body{background:url("javascript:${P(11)}")} p{behavior:url(x.htc)}</style><p>texto</p>` },
  { id: 'svg', subject: 'Prueba SVG', html: `<svg onload="${P(12)}"><script>${P(13)}</script><a xlink:href="javascript:${P(14)}"><text>x</text></a><animate onbegin="${P(15)}" attributeName="x" dur="1s"/></svg>` },
  { id: 'meta', subject: 'Prueba meta refresh', html: `<meta http-equiv="refresh" content="0;url=javascript:${P(16)}"><meta http-equiv="refresh" content="0;url=/pwned"><p>meta</p>` },
  { id: 'frames', subject: 'Prueba iframe/object/embed', html: `<iframe src="javascript:${P(17)}"></iframe><iframe srcdoc="<script>${P(18)}</script>"></iframe><object data="data:text/html,<script>${P(19)}</script>"></object><embed src="data:text/html,<script>${P(20)}</script>">` },
  { id: 'form', subject: 'Prueba form', html: `<form action="javascript:${P(21)}" method="post"><input name="q" value="x" autofocus onfocus="${P(22)}"><button>Enviar</button></form>` },
  { id: 'base', subject: 'Prueba base href', html: `<base href="javascript:${P(23)}//"><a href="relativo">relativo</a><base href="http://127.0.0.1:9/"><img src="pixel.gif">` },
  { id: 'dataurl', subject: 'Prueba data: URL', html: `<a href="data:text/html;base64,${Buffer.from(`<script>${P(24)}</script>`).toString('base64')}">data</a><img src="data:image/svg+xml;base64,${Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" onload="${P(25)}"/>`).toString('base64')}">` },
  { id: 'headers', subject: `<img src=x onerror=${P(26)}> Informe <script>${P(27)}</script>`, from: `"<img src=x onerror=${P(28)}>" <malo@example.org>`, to: `"<svg onload=${P(29)}>" <victima@sedena.gob.mx>`, text: 'Cabeceras hostiles.' },
  { id: 'encoded', subject: `=?UTF-8?B?${Buffer.from(`<svg/onload=${P(30)}> año fiscal`).toString('base64')}?=`, text: 'Asunto codificado.' },
  { id: 'plain', subject: 'Texto plano con etiquetas', text: `Hola <script>${P(31)}</script>\n<img src=x onerror="${P(32)}">\n<b>negrita</b> &amp; fin` },
  {
    id: 'attach', subject: 'Adjunto hostil', text: 'Ver adjunto.',
    attachments: [
      { name: '<img src=x onerror=alert(33)>.html', type: 'text/html', content: `<script>${P(34)}</script>` },
      { name: 'dibujo.svg', type: 'image/svg+xml', content: `<svg xmlns="http://www.w3.org/2000/svg" onload="${P(35)}"><script>${P(36)}</script></svg>` },
    ],
  },
  {
    // A display name that is an address, a name with a comma, an encoded name, a Reply-To elsewhere:
    // only the real addresses may be linked, each name stays whole and literal.
    id: 'spoof', subject: 'Suplantación de remitente',
    from: '"director@sedena.gob.mx" <impostor@example.org>',
    to: `"Pérez, Juan" <jperez@sedena.gob.mx>, =?UTF-8?B?${Buffer.from('Víctima Ñandú <script>').toString('base64')}?= <victima@sedena.gob.mx>`,
    extraHeaders: ['Reply-To: "Dirección General" <buzon@example.net>', 'Cc: copia@sedena.gob.mx, "<b>jefe@sedena.gob.mx</b>" <otro@example.org>'],
    text: 'Remitente suplantado.',
  },
  { id: 'mixed', subject: 'Mixto texto y HTML', text: 'Versión de texto <script>no</script>', html: `<p>Versión <b>HTML</b></p><img src=x onerror="${P(37)}"><a href="https://example.org/ruta?x=1">sitio</a>` },
];

/** Mail that tries to load remote content from the tracker at `base` (http://127.0.0.1:port). */
export function remoteMail(base) {
  return {
    id: 'remote',
    subject: 'Boletín con imágenes remotas',
    text: 'Versión de texto del boletín.',
    html: `<html><head><link rel="stylesheet" href="${base}/style.css"><style>@import url("${base}/import.css"); body { background: url(${base}/bg-style.gif) } @font-face { font-family: x; src: url(${base}/font.woff) }</style></head>
<body background="${base}/body-bg.gif">
<p>Estimado lector:</p>
<img src="${base}/pixel.gif" width="1" height="1">
<img src="${base}/open.gif?u=lector&amp;c=7" width="1" height="1"><img src="${base.replace(/^https?:/, '')}/relative.gif">
<img src="${base}/logo.png" srcset="${base}/logo-2x.png 2x, ${base}/logo-3x.png 3x">
<picture><source srcset="${base}/pic.webp"><img src="${base}/pic.jpg"></picture>
<div style="background-image:url('${base}/div-bg.gif')">fondo</div>
<table background="${base}/table-bg.gif"><tr><td background="${base}/td-bg.gif">celda</td></tr></table>
<video poster="${base}/poster.jpg" src="${base}/v.mp4"></video><audio src="${base}/a.mp3"></audio>
<input type="image" src="${base}/input.gif">
<a href="${base}/click">ver en el navegador</a>
</body></html>`,
  };
}

export function writeCorpus(dir, mails) {
  fs.mkdirSync(dir, { recursive: true });
  mails.forEach((m, i) => fs.writeFileSync(path.join(dir, `${String(i).padStart(3, '0')}-${m.id}.eml`), eml(m)));
}
