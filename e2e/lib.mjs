// Shared setup of the end-to-end tests: cases made with the release binary (synth + ingest),
// a `trove serve` of their own on a free port, accounts, and headless Chromium (Debian's).

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TROVE = process.env.TROVE_BIN || path.join(ROOT, 'target', 'release', 'trove');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SHOTS = path.join(ROOT, 'docs', 'screenshots');
export const PASSWORD = 'correct-horse-battery';

export function trove(args, opts = {}) {
  return execFileSync(TROVE, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

export function tmpdir(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `trove-e2e-${name}-`));
}

/** A case folder named `name` under `dir`, ingested from `inputs` (synthetic leak by default). */
export function makeCase(dir, name, { messages = 300, seed = 3, source = 'SEDENA', inputs = [] } = {}) {
  const casePath = path.join(dir, name);
  const all = [...inputs];
  if (messages > 0) {
    const leak = path.join(dir, `${name}-leak`);
    trove(['synth', leak, '--messages', String(messages), '--seed', String(seed)]);
    all.push(leak);
  }
  trove(['init', casePath]);
  for (const input of all) trove(['ingest', casePath, input, '--source', source]);
  return casePath;
}

export function addUser(data, name, role, cases = []) {
  trove(['user', '--data', data, 'add', name, '--role', role], { env: { ...process.env, TROVE_PASSWORD: PASSWORD } });
  for (const c of cases) trove(['user', '--data', data, 'grant', name, c]);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts `trove serve` on a free port; resolves once it answers. */
export async function serve(cases, data) {
  const port = await freePort();
  const env = { ...process.env };
  // The UI as compiled into the binary, unless TROVE_UI_DIR is set by the caller on purpose.
  if (!process.env.E2E_UI_FROM_DISK) delete env.TROVE_UI_DIR;
  // E2E_UI_FROM_DISK=1: the files of this checkout; a directory: the UI files in it (to check that a test fails on an older UI).
  else env.TROVE_UI_DIR = fs.existsSync(process.env.E2E_UI_FROM_DISK) ? path.resolve(process.env.E2E_UI_FROM_DISK) : path.join(ROOT, 'crates', 'server', 'ui');
  const proc = spawn(TROVE, ['serve', ...cases, '--data', data, '--addr', `127.0.0.1:${port}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`trove serve exited: ${log}`);
    try {
      const r = await fetch(`${url}/api/session`);
      if (r.status === 401) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`trove serve did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The binary must carry the UI in this checkout (it is compiled in): a stale build would test old files.
  if (!process.env.E2E_UI_FROM_DISK) {
    const jsDir = path.join(ROOT, 'crates', 'server', 'ui', 'js');
    for (const name of fs.readdirSync(jsDir)) {
      const served = await (await fetch(`${url}/js/${name}`)).text();
      const onDisk = fs.readFileSync(path.join(jsDir, name), 'utf8');
      if (served !== onDisk) {
        proc.kill('SIGKILL');
        throw new Error(`${TROVE} serves another js/${name} than crates/server/ui/js/${name}: rebuild it (cargo build --release -p trove-cli), or set E2E_UI_FROM_DISK=1`);
      }
    }
  }
  return {
    url,
    port,
    log: () => log,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', resolve);
      proc.kill('SIGTERM');
      setTimeout(() => { if (proc.exitCode === null) proc.kill('SIGKILL'); }, 3000);
    }),
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/**
 * A page that records what could betray an attack or a leak: dialogs (alert/confirm/prompt),
 * page errors, console messages, and every request the browser made.
 */
export async function newPage(browser, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true, ...opts });
  const page = await context.newPage();
  const seen = { dialogs: [], errors: [], console: [], requests: [] };
  page.on('dialog', (d) => { seen.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('console', (m) => seen.console.push(`${m.type()}: ${m.text()}`));
  context.on('request', (r) => seen.requests.push(r.url()));
  return { context, page, seen };
}

export async function login(page, url, user, password = PASSWORD) {
  await page.goto(`${url}/`);
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('form.login button[type=submit]');
  await page.waitForSelector('#whoami');
}

export async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => document.getElementById('toasts')?.remove());
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** Waits for the current route to finish rendering. */
export async function settled(page) {
  await page.waitForFunction(() => {
    const m = document.getElementById('main');
    return m && !m.hasAttribute('aria-busy') && m.dataset.rendered === location.hash;
  });
}
