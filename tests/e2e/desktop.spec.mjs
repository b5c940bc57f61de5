// The desktop app driven through WebDriver (tauri-driver in front of Debian's WebKitWebDriver)
// under a virtual display, against a real server reached through a TCP relay the test can cut
// (the network going away while the server stays up for everyone else). A driver signs in,
// loses the network and books three times (each request is saved on the device); withdraws
// one; meanwhile someone else takes the slot of another; when the network is back the third
// is booked exactly once on the server and the taken one shows free driveways nearby.
// Then an owner adds payout details: the app hands the link to the system's browser (here a
// fake browser, a script named xdg-open that only records the URL it was given, since the
// display has no real one), the test finishes the form as that browser would, and the app's
// page notices without being reloaded. The map draws its streets from an archive kept in the
// app's data folder.
// Screenshots go to target/e2e-screenshots/desktop-*.png.
//
// Run by `cargo xtask desktop`, which builds the app and sets PARKWAY_APP_BIN, TAURI_DRIVER,
// PARKWAY_SERVER_BIN and DISPLAY.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, png, register, screenshots, startServer } from './harness.mjs';
import { streetArchive } from './street-archive.mjs';

const CENTER = { lat: 37.7749, lng: -122.4194 };
const dir = mkdtempSync(join(tmpdir(), 'parkway-desktop-'));
let server;
let relay;
let driver;
let session;
let wdBase;
let owner;
let driverUser;
const spots = [];
const fakeBrowserBin = join(dir, 'fake-browser');
const openedUrls = join(dir, 'opened-urls.txt');

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

/** A TCP relay to the server whose link can be cut: while cut, every open connection is reset
 * and new ones are refused at once, as when a phone loses its signal. */
async function startRelay(target) {
  const open = new Set();
  let up = true;
  const listener = createServer((client) => {
    if (!up) { client.destroy(); return; }
    const upstream = connect(target, '127.0.0.1');
    const pair = [client, upstream];
    open.add(pair);
    client.pipe(upstream).pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); open.delete(pair); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise((ok) => listener.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${listener.address().port}`,
    cut() { up = false; for (const [a, b] of open) { a.destroy(); b.destroy(); } open.clear(); },
    restore() { up = true; },
    close() { listener.close(); },
  };
}

/** One W3C WebDriver call; returns `value` or throws with the driver's message.
 *
 * tauri-driver forwards each call to WebKitWebDriver over a pooled keep-alive connection; now
 * and then the pool reuses a connection WebKitWebDriver has just closed, and tauri-driver
 * answers with its own error (`client error (SendRequest)`) instead of the W3C body: the call
 * never reached the browser. Only that answer is sent again, a few times; a W3C error (the
 * page's own answer) fails the step at once. */
async function wd(method, path, body) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(wdBase + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    if (res.ok && json) return json.value;
    const unsent = /SendRequest|connection closed before message completed/.test(text);
    if (unsent && attempt < 4) {
      console.log(`# tauri-driver lost its connection to WebKitWebDriver on ${method} ${path}; sending it again`);
      await new Promise((ok) => setTimeout(ok, 200 * attempt));
      continue;
    }
    throw new Error(`${method} ${path} → ${res.status} ${json ? JSON.stringify(json.value) : text}`);
  }
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
  server = await startServer();
  const base = server.url;
  owner = await register(base, 'Olivia Owner', ['owner']);
  for (const [i, title] of ['Sunny driveway on Oak St', 'Shady driveway on Elm St', 'Wide driveway on Pine St'].entries()) {
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
  relay = await startRelay(Number(new URL(base).port));

  const wdPort = await freePort();
  wdBase = `http://127.0.0.1:${wdPort}`;
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  // A street map kept on the device, in the app's data folder: the map reads it there.
  const appData = join(home, 'data', 'app.parkway.desktop');
  mkdirSync(appData, { recursive: true });
  writeFileSync(join(appData, 'map.pmtiles'), streetArchive(CENTER.lat, CENTER.lng));
  // The fake browser: the app's "open in browser" finds it first on PATH.
  mkdirSync(fakeBrowserBin, { recursive: true });
  writeFileSync(join(fakeBrowserBin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$1" >> '${openedUrls}'\n`);
  chmodSync(join(fakeBrowserBin, 'xdg-open'), 0o755);
  driver = spawn(process.env.TAURI_DRIVER, ['--port', String(wdPort), '--native-port', String(await freePort()),
    '--native-driver', '/usr/bin/WebKitWebDriver'], {
    env: {
      ...process.env,
      HOME: home,
      XDG_DATA_HOME: join(home, 'data'),
      PATH: `${fakeBrowserBin}:${process.env.PATH}`,
      PARKWAY_SERVER_URL: relay.url,
      RUST_LOG: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group, so teardown can end the app it starts along with it.
    detached: true,
  });
  let driverLog = '';
  driver.stderr.on('data', (d) => { driverLog += d; });
  // Wait on the driver itself: it answers once up, or exits if it cannot start. The bound
  // only stops one that hangs; a loaded machine can be slow.
  let exited = null;
  driver.once('exit', (code) => { exited = code; });
  for (let i = 0; ; i++) {
    if (await fetch(`${wdBase}/status`).then((r) => r.ok, () => false)) break;
    if (exited !== null) throw new Error(`tauri-driver exited (${exited})\n${driverLog}`);
    if (i > 1800) throw new Error(`tauri-driver did not answer in 3 minutes\n${driverLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const created = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { 'tauri:options': { application: process.env.PARKWAY_APP_BIN } } },
  });
  session = created.sessionId;
});

/** Resolves with `promise`, or after `ms` with nothing: a teardown step that hangs must not
 * keep the run alive. */
function within(ms, promise) {
  let timer;
  return Promise.race([promise, new Promise((ok) => { timer = setTimeout(ok, ms); })]).finally(() => clearTimeout(timer));
}

after(async () => {
  // Closing the session closes the app; if WebKitWebDriver does not answer, the process group
  // (tauri-driver, WebKitWebDriver and the app) is killed instead.
  if (session) await within(15_000, wd('DELETE', `/session/${session}`).catch(() => {}));
  if (driver?.pid && driver.exitCode === null) {
    try { process.kill(-driver.pid, 'SIGKILL'); } catch { driver.kill('SIGKILL'); }
  }
  // The app's WebSocket runs through the relay: its sockets are dropped, not waited on.
  relay?.cut();
  relay?.close();
  await within(20_000, server?.stop());
  rmSync(dir, { recursive: true, force: true });
});

/** Books the driveway whose page is open for `duration` (a quick-duration button) and waits
 * for the app to say it was saved offline. */
async function bookOffline(spot, duration) {
  await go(`/driveways/${spot.id}`);
  await until(`the booking form of ${spot.title}`, `
    return document.querySelector('h1')?.textContent.includes(arguments[0])
      && !!document.querySelector('.booking-form button[type=submit]:not([disabled])');`, 20_000, spot.title);
  await press(duration, '.booking-form');
  await click('.booking-form button[type=submit]');
  await until(`"saved offline" for ${spot.title}`, `return document.querySelector('.success-card.queued h2')?.textContent.includes('Saved offline');`);
}

const itemOf = `const item = (title) => [...document.querySelectorAll('.outbox-item')].find((li) => li.textContent.includes(title));`;

test('bookings made offline wait on the device, can be withdrawn, and book (or offer alternatives) once the network is back', { timeout: 240_000 }, async () => {
  // The app opens on the map, talking to the server through its commands.
  await until('the map page', `return !!window.__TAURI__ && !!document.querySelector('.map');`, 60_000);
  // Its streets come from the archive on the device, through the app's own scheme.
  await until('streets drawn from the device', `return Number(document.querySelector('.map')?.dataset.streetFeatures ?? 0) > 0;`, 60_000);
  await shot('street-map');

  // Sign in.
  await go('/signin');
  await until('the sign-in form', `return !!document.querySelector('#email');`);
  await type('#email', driverUser.email);
  await type('#password', driverUser.password);
  await click('form button[type=submit]');
  await until('signed in', `return [...document.querySelectorAll('button')].some((b) => b.textContent.includes('Sign out'));`);

  // The page never holds the refresh token, and may call only the commands the UI uses.
  const stored = await until('the session kept', `return localStorage.getItem('parkway.session');`);
  const saved = JSON.parse(stored);
  assert.ok(saved.token && !/refresh/i.test(stored), 'the page keeps its access token only');
  const ungranted = await wd('POST', `/session/${session}/execute/async`, {
    script: `const done = arguments[arguments.length - 1];
             window.__TAURI__.core.invoke('cached_bookings').then(() => done('allowed'), (e) => done('denied: ' + e));`,
    args: [],
  });
  assert.match(String(ungranted), /^denied/, 'a command the UI does not use is refused');

  // Open the driveways while online: the app keeps their pages for offline use.
  const [taken, withdrawn, kept] = spots;
  for (const spot of spots) {
    await go(`/driveways/${spot.id}`);
    await until(`the page of ${spot.title}`, `return document.querySelector('h1')?.textContent.includes(arguments[0]);`, 20_000, spot.title);
  }

  // The network goes away; three requests are saved on the device.
  relay.cut();
  await bookOffline(taken, '2 h');
  await shot('01-saved-offline');
  await bookOffline(withdrawn, '4 h');
  await bookOffline(kept, '2 h');
  await go('/bookings');
  await until('three queued requests', `return document.querySelectorAll('.outbox-item[data-state=queued]').length === 3;`);
  await shot('02-outbox-queued');

  // One is withdrawn before it is sent.
  await run(`${itemOf}
    [...item(arguments[0]).querySelectorAll('button')].find((b) => b.textContent.includes('Cancel request')).click();
    return true;`, withdrawn.title);
  await until('the withdrawn request gone from the list', `${itemOf} return !item(arguments[0]);`, 20_000, withdrawn.title);

  // Meanwhile someone else, with a network, takes the first driveway for the whole evening.
  const rival = await register(server.url, 'Rita Rival', ['driver']);
  const now = Date.now();
  await rival.api.post('/api/bookings', {
    driveway: taken.id,
    startTime: new Date(now + 60_000).toISOString(),
    endTime: new Date(now + 10 * 3600_000).toISOString(),
  });

  // The network comes back; "Try now" sends what waits without waiting for the backoff.
  relay.restore();
  await press('Try now', '.outbox');
  await until('the kept request booked', `${itemOf} return item(arguments[0])?.dataset.state === 'synced';`, 60_000, kept.title);
  await until('the taken request in conflict, with free driveways nearby', `${itemOf}
    const li = item(arguments[0]);
    return li?.dataset.state === 'conflict' && li.querySelectorAll('.alternatives a').length > 0;`, 30_000, taken.title);
  const offered = await run(`${itemOf} return [...item(arguments[0]).querySelectorAll('.alternatives a')].map((a) => a.textContent);`, taken.title);
  assert.ok(offered.includes(withdrawn.title), `free driveways nearby offered: ${offered}`);
  assert.ok(!offered.includes(taken.title), 'the taken driveway is not offered again');
  await shot('03-outbox-after-sync');

  // On the server: the kept one booked exactly once, nothing for the others.
  const mine = (await api(server.url, driverUser.token).get('/api/bookings?limit=50')).items;
  assert.equal(mine.filter((b) => b.driveway === kept.id).length, 1, 'booked exactly once');
  assert.equal(mine.filter((b) => b.driveway === withdrawn.id).length, 0, 'the withdrawn request was never sent');
  assert.equal(mine.filter((b) => b.driveway === taken.id).length, 0, 'the taken slot was not double-booked');

  // Picking an alternative opens it with the same time chosen.
  await run(`${itemOf} item(arguments[0]).querySelector('.alternatives li').click(); item(arguments[0]).querySelector('.alternatives a').click(); return true;`, taken.title);
  await until('an alternative opened', `return !!document.querySelector('.booking-form');`);
});

test('a message written offline waits on the device and reaches the owner once the network is back', { timeout: 120_000 }, async () => {
  const kept = spots[2];
  const booking = (await driverUser.api.get('/api/bookings?limit=50')).items.find((b) => b.driveway === kept.id);
  assert.ok(booking, 'the request kept offline was booked');
  const card = `.booking[data-booking="${booking.id}"]`;
  await go('/bookings');
  await until('the booking\'s card', `return !!document.querySelector(arguments[0]);`, 20_000, card);
  await press('Messages', card);
  await until('its thread', `return !!document.querySelector(arguments[0] + ' textarea');`, 20_000, card);

  relay.cut();
  await type(`${card} textarea`, 'I will be there at six.');
  await press('Send', card);
  await until('the message waiting on the device', `
    return document.querySelector(arguments[0] + ' .message.waiting[data-state=queued]')?.textContent.includes('I will be there at six.');`,
  20_000, card);
  await shot('04-message-waiting');

  relay.restore();
  await until('the message sent', `
    const c = document.querySelector(arguments[0]);
    return !c.querySelector('.message.waiting') && [...c.querySelectorAll('.message')].some((m) => m.textContent.includes('I will be there at six.'));`,
  60_000, card);
  const thread = (await owner.api.get(`/api/bookings/${booking.id}/messages`)).items;
  assert.deepEqual(thread.map((m) => m.text), ['I will be there at six.'], 'the owner has it, once');
});

test('an owner adds payout details in the system browser and the app notices the return', { timeout: 120_000 }, async () => {
  await click('button.sign-out');
  await go('/signin');
  await until('the sign-in form', `return !!document.querySelector('#email');`);
  await type('#email', owner.email);
  await type('#password', owner.password);
  await click('form button[type=submit]');
  await until('signed in as the owner', `return location.pathname === '/owner';`);
  await go('/owner/earnings');
  await press('Add payout details');
  await until('the link handed to the browser', `return !!document.querySelector('#onboarding-opened') || document.querySelector('#no-browser')?.textContent;`);
  const refused = await run(`return document.querySelector('#no-browser')?.textContent ?? '';`);
  assert.equal(refused, '', 'the browser opened');
  await shot('04-onboarding-in-browser');

  // What the browser was given: the server's simulated onboarding page; finish it there.
  assert.ok(existsSync(openedUrls), 'the app opened the system browser');
  const url = readFileSync(openedUrls, 'utf8').trim().split('\n').at(-1);
  const token = new URL(url).searchParams.get('token');
  assert.match(token, /^[0-9a-f]{64}$/);
  const page = await fetch(url);
  assert.ok((await page.text()).includes('Simulated — no money moves'));
  const done = await fetch(`${server.url}/api/payouts/simulated/onboarding`, {
    method: 'POST',
    body: new URLSearchParams({ token }),
    redirect: 'manual',
  });
  assert.equal(done.status, 303);

  // Back in the app, untouched: the page sees the account active on its own.
  await until('payouts on', `return !!document.querySelector('#payouts-on');`, 30_000);
  await shot('05-payouts-on');

  // A photo chosen in the app's file picker reaches the server through the app (its bytes go
  // to the app's upload command; the page cannot post across origins).
  const spot = spots[0];
  await go(`/owner/driveways/${spot.id}`);
  await until('the photo manager', `return !!document.querySelector('#photo-files:not([disabled])');`);
  const photo = join(dir, 'driveway.png');
  writeFileSync(photo, png(320, 240, [30, 120, 90]));
  await type('#photo-files', photo);
  await until('the photo uploaded', `return document.querySelector('.photos-editor [role=status]')?.textContent.includes('1 of 8 photos');`, 30_000);
  await shot('06-photo-uploaded');
  const stored = await api(server.url).get(`/api/driveways/${spot.id}`);
  assert.equal(stored.photos.length, 1, 'the server keeps the photo');
  const file = await fetch(`${server.url}${stored.photos[0].url}`);
  assert.equal(file.headers.get('content-type'), 'image/jpeg');

  // The driveway's page asks the app for its photo, and the app keeps the thumbnail in its data
  // folder: with the network gone, the page (which the app kept too) still shows it.
  await go(`/driveways/${spot.id}`);
  const shown = `const img = document.querySelector('.gallery img');
    return !!img && img.complete && img.naturalWidth > 0 && img.src;`;
  const src = await until('the photo shown', shown, 30_000);
  assert.match(src, /^(parkway-media:\/\/|http:\/\/parkway-media\.localhost\/)/, 'the page asks the app for the photo');
  const thumbKey = stored.photos[0].thumbUrl.split('/media/')[1];
  const kept = () => readdirSync(join(dir, 'home', 'data'), { recursive: true }).some((f) => String(f).endsWith(thumbKey));
  for (let i = 0; !kept(); i++) {
    assert.ok(i < 300, 'the app keeps the thumbnail of a driveway it opened');
    await new Promise((r) => setTimeout(r, 100));
  }
  relay.cut();
  await go('/');
  await go(`/driveways/${spot.id}`);
  await until('the photo shown offline', shown, 30_000);
  await shot('07-photo-offline');
  relay.restore();
});
