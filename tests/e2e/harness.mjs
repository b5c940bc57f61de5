// Shared pieces of the web end-to-end tests: the real server on a loopback port with a fresh
// SQLite file, a typed-enough API client for seeding, and headless Chromium from the system.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import zlib from 'node:zlib';

export const root = resolve(import.meta.dirname, '..', '..');
export const screenshots = join(root, 'target', 'e2e-screenshots');

/** Starts parkway-server with a fresh database and the built UI; resolves once it listens. */
export async function startServer(extraEnv = {}) {
  const binary = process.env.PARKWAY_SERVER_BIN ?? join(root, 'target', 'debug', 'parkway-server');
  const dir = mkdtempSync(join(tmpdir(), 'parkway-e2e-'));
  const child = spawn(binary, [], {
    env: {
      ...process.env,
      PARKWAY_BIND: '127.0.0.1:0',
      DATABASE_URL: `sqlite://${join(dir, 'parkway.db')}?mode=rwc`,
      PARKWAY_MEDIA_DIR: join(dir, 'media'),
      PARKWAY_UI_DIR: process.env.PARKWAY_UI_DIR ?? join(root, 'ui', 'dist'),
      PARKWAY_AUTH_RATE_PER_MIN: '0',
      PARKWAY_JWT_SECRET: 'e2e-secret-0123456789abcdef-0123456789abcdef',
      PARKWAY_SQLITE_SYNC: 'normal',
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const url = await new Promise((ok, fail) => {
    // The process is waited on (its "listening" line, or its exit); the bound only stops one
    // that hangs, and a loaded machine can take long to seed the demo.
    const timer = setTimeout(() => fail(new Error(`server did not start in 3 minutes\n${log}`)), 180_000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited with ${code}\n${log}`)); });
  });
  return {
    url,
    log: () => log,
    async stop() {
      // SIGTERM lets the server finish its requests; one that is still up after its grace
      // period is killed, so a stuck shutdown fails nothing but is never waited on forever.
      const exited = new Promise((r) => { if (child.exitCode !== null) r(); else child.on('exit', r); });
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(kill);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A small client of the HTTP API for seeding data. */
export function api(base, token) {
  async function call(method, path, body) {
    const res = await fetch(base + path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }
  return {
    get: (p) => call('GET', p),
    post: (p, b) => call('POST', p, b),
    put: (p, b) => call('PUT', p, b),
    withToken: (t) => api(base, t),
  };
}

/** Registers a user and returns `{token, user, api}`. */
export async function register(base, name, roles) {
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}.${Date.now()}${Math.floor(Math.random() * 1e6)}@parkway.test`;
  const answer = await api(base).post('/api/auth/register', { email, password: 'parkway-e2e', name, roles });
  return { ...answer, email, password: 'parkway-e2e', api: api(base, answer.token) };
}

/** Debian's Chromium's launch options: headless, with the flags that make WebGL work through
 * SwiftShader and that keep it off the network it cannot reach. */
const CHROMIUM_OPTIONS = {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/** Debian's Chromium. Playwright gives each launch a fresh profile directory of its own, and
 * each context is like an incognito window. */
export async function launchBrowser() {
  return chromium.launch(CHROMIUM_OPTIONS);
}

/** Debian's Chromium with an ordinary profile in a new directory (not incognito: Chromium
 * installs apps only there). Returns the context; closing it ends the browser. */
export async function launchProfile(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'parkway-profile-'));
  const context = await chromium.launchPersistentContext(dir, { ...CHROMIUM_OPTIONS, ...options });
  context.on('close', () => {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    } catch {
      // Chromium may still be writing its profile as it exits; the directory is scratch.
    }
  });
  return context;
}

/** Runs axe-core on the page as it is and fails with every violation it names (WCAG 2 A and
 * AA rules: names, labels, contrast, keyboard reach). The map's canvas is left out: its
 * markers are read out through the list beside it, which is checked. */
export async function assertAccessible(page, screen) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .exclude('.maplibregl-canvas')
    .analyze();
  const found = results.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `  ${n.target.join(' ')}: ${n.failureSummary}`).join('\n')}`);
  if (found.length > 0) throw new Error(`${screen}: axe-core found\n${found.join('\n')}`);
}

/** Saves a screenshot of the page as target/e2e-screenshots/<name>.png. */
export async function shoot(page, name) {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`) });
}

/** A `width` × `height` PNG of one colour (RGB), as a phone's screenshot would be. */
export function png(width, height, [r, g, b]) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(zlib.crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // RGB
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([r, g, b], 1 + x * 3);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
