// The desktop app driven through WebDriver (tauri-driver in front of Debian's WebKitWebDriver)
// under a virtual display, against a real server the test can stop and restart: a driver
// signs in, loses the network, books (the request is saved on the device), withdraws a second
// request, gets the network back, and sees the first one booked, exactly once on the server.
// Screenshots go to target/e2e-screenshots/desktop-*.png.
//
// Run by `cargo xtask desktop`, which builds the app and sets PARKWAY_APP_BIN, TAURI_DRIVER,
// PARKWAY_SERVER_BIN and DISPLAY.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, register, screenshots } from './harness.mjs';

const CENTER = { lat: 37.7749, lng: -122.4194 };
const dir = mkdtempSync(join(tmpdir(), 'parkway-desktop-'));
let serverPort;
let server;
let driver;
let session;
let wdBase;
let owner;
let driverUser;
const spots = [];

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

/** The server on a fixed port and database file, so that a restart looks like the network
 * coming back. */
async function startServer() {
  const child = spawn(process.env.PARKWAY_SERVER_BIN, [], {
    env: {
      ...process.env,
      PARKWAY_BIND: `127.0.0.1:${serverPort}`,
      DATABASE_URL: `sqlite://${join(dir, 'parkway.db')}?mode=rwc`,
      PARKWAY_AUTH_RATE_PER_MIN: '0',
      PARKWAY_JWT_SECRET: 'desktop-e2e-secret-0123456789abcdef',
      PARKWAY_SQLITE_SYNC: 'normal',
      RUST_LOG: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start\n${log}`)), 30_000);
    let out = '';
    child.stdout.on('data', (d) => { out += d; if (/listening on/.test(out)) { clearTimeout(timer); ok(); } });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited with ${code}\n${log}`)); });
  });
  return {
    async stop() {
      child.kill('SIGKILL');
      await new Promise((r) => { if (child.exitCode !== null || child.signalCode) r(); else child.on('exit', r); });
    },
  };
}

/** One W3C WebDriver call; returns `value` or throws with the driver's message. */
async function wd(method, path, body) {
  const res = await fetch(wdBase + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json.value)}`);
  return json.value;
}

const run = (script, ...args) => wd('POST', `/session/${session}/execute/sync`, { script, args });

/** Waits until `script` (a function body) returns something truthy. */
async function until(what, script, timeoutMs = 20_000, ...args) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await run(script, ...args).catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) {
      await shot(`failed-${what.replace(/\W+/g, '-')}`);
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function find(css) {
  const el = await wd('POST', `/session/${session}/element`, { using: 'css selector', value: css });
  return Object.values(el)[0];
}

async function click(css) {
  await wd('POST', `/session/${session}/element/${await find(css)}/click`, {});
}

async function type(css, text) {
  await wd('POST', `/session/${session}/element/${await find(css)}/value`, { text });
}

/** Clicks the button whose text is `label`, within `scope`. */
async function press(label, scope = 'body') {
  await until(`a "${label}" button`, `
    const b = [...document.querySelectorAll(arguments[0] + ' button')].find((b) => b.textContent.trim() === arguments[1] && !b.disabled);
    if (!b) return false;
    b.click();
    return true;`, 20_000, scope, label);
}

/** In-app navigation, as a link would do it. */
async function go(path) {
  await run(`history.pushState({}, '', arguments[0]); dispatchEvent(new PopStateEvent('popstate')); return true;`, path);
}

async function shot(name) {
  const png = await wd('GET', `/session/${session}/screenshot`);
  mkdirSync(screenshots, { recursive: true });
  writeFileSync(join(screenshots, `desktop-${name}.png`), Buffer.from(png, 'base64'));
}

before(async () => {
  serverPort = await freePort();
  server = await startServer();
  const base = `http://127.0.0.1:${serverPort}`;
  owner = await register(base, 'Olivia Owner', ['owner']);
  for (const [i, title] of ['Sunny driveway on Oak St', 'Shady driveway on Elm St'].entries()) {
    spots.push(await owner.api.post('/api/driveways', {
      title,
      address: `${10 + i} Example St, San Francisco`,
      lat: CENTER.lat + 0.001 * (i + 1),
      lng: CENTER.lng,
      pricePerHourCents: 400,
      instantBook: true,
      timezone: 'America/Los_Angeles',
      accessInstructions: 'Gate code 1357.',
    }));
  }
  driverUser = await register(base, 'Dana Driver', ['driver']);

  const wdPort = await freePort();
  wdBase = `http://127.0.0.1:${wdPort}`;
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  driver = spawn(process.env.TAURI_DRIVER, ['--port', String(wdPort), '--native-port', String(await freePort()),
    '--native-driver', '/usr/bin/WebKitWebDriver'], {
    env: {
      ...process.env,
      HOME: home,
      XDG_DATA_HOME: join(home, 'data'),
      PARKWAY_SERVER_URL: base,
      RUST_LOG: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let driverLog = '';
  driver.stderr.on('data', (d) => { driverLog += d; });
  for (let i = 0; ; i++) {
    if (await fetch(`${wdBase}/status`).then((r) => r.ok, () => false)) break;
    if (i > 100) throw new Error(`tauri-driver did not start\n${driverLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const created = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { 'tauri:options': { application: process.env.PARKWAY_APP_BIN } } },
  });
  session = created.sessionId;
});

after(async () => {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  driver?.kill('SIGTERM');
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a booking made offline waits on the device, can be withdrawn, and books once the network is back', { timeout: 240_000 }, async () => {
  // The app opens on the map, talking to the server through its commands.
  await until('the map page', `return !!window.__TAURI__ && !!document.querySelector('.map');`, 60_000);

  // Sign in.
  await go('/signin');
  await until('the sign-in form', `return !!document.querySelector('#email');`);
  await type('#email', driverUser.email);
  await type('#password', driverUser.password);
  await click('form button[type=submit]');
  await until('signed in', `return [...document.querySelectorAll('button')].some((b) => b.textContent.includes('Sign out'));`);

  // Open both driveways while online: the app keeps their pages for offline use.
  const [first, second] = spots;
  for (const spot of [second, first]) {
    await go(`/driveways/${spot.id}`);
    await until(`the booking form of ${spot.title}`, `
      return document.querySelector('h1')?.textContent.includes(arguments[0])
        && !!document.querySelector('.booking-form button[type=submit]:not([disabled])');`, 20_000, spot.title);
  }

  // The network goes away.
  await server.stop();

  // Book: the app cannot reach the server and keeps the request.
  await press('2 h', '.booking-form');
  await click('.booking-form button[type=submit]');
  await until('"saved offline"', `return document.querySelector('.success-card.queued h2')?.textContent.includes('Saved offline');`);
  await shot('01-saved-offline');

  // My bookings lists it, waiting.
  await go('/bookings');
  await until('the queued request', `return [...document.querySelectorAll('.outbox-item[data-state=queued]')].some((li) => li.textContent.includes(arguments[0]));`, 20_000, first.title);
  await shot('02-outbox-queued');

  // A second request, also offline (the page comes from the app's copy), withdrawn before it
  // is sent.
  await go(`/driveways/${second.id}`);
  await until('the second booking form, offline', `
    return document.querySelector('h1')?.textContent.includes(arguments[0])
      && !!document.querySelector('.booking-form button[type=submit]:not([disabled])');`, 20_000, second.title);
  await press('4 h', '.booking-form');
  await click('.booking-form button[type=submit]');
  await until('the second "saved offline"', `return document.querySelector('.success-card.queued') !== null;`);
  await go('/bookings');
  await until('two queued requests', `return document.querySelectorAll('.outbox-item[data-state=queued]').length === 2;`);
  await run(`
    const li = [...document.querySelectorAll('.outbox-item')].find((li) => li.textContent.includes(arguments[0]));
    [...li.querySelectorAll('button')].find((b) => b.textContent.includes('Cancel request')).click();
    return true;`, second.title);
  await until('the withdrawn request gone from the list', `return ![...document.querySelectorAll('.outbox-item')].some((li) => li.textContent.includes(arguments[0]));`, 20_000, second.title);

  // The network comes back; "Try now" sends what waits without waiting for the backoff.
  server = await startServer();
  await press('Try now', '.outbox');
  await until('the request booked', `return [...document.querySelectorAll('.outbox-item[data-state=synced]')].some((li) => li.textContent.includes(arguments[0]));`, 60_000, first.title);
  await shot('03-outbox-booked');

  // Exactly one booking on the server, for the first driveway; none for the withdrawn one.
  const mine = (await api(`http://127.0.0.1:${serverPort}`, driverUser.token).get('/api/bookings?limit=50')).items;
  assert.equal(mine.filter((b) => b.driveway === first.id).length, 1, 'booked exactly once');
  assert.equal(mine.filter((b) => b.driveway === second.id).length, 0, 'the withdrawn request was never sent');
});
